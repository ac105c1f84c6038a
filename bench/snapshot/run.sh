#!/usr/bin/env bash
# Snapshot vs raw: snapshot throughput (mariabackup | zstd -> object store, digest, metadata) next to
# raw `tar | zstd` of the same datadir, and restore (store -> verify -> zstd-jni -> in-JVM xbstream extractor ->
# prepare) next to raw `zstd -d | tar -x`, with the agent's JVM flags.
# Usage: bench/snapshot/run.sh [size-MiB]   (default 1024; needs mariadb-server and mariadb-backup)
# Uses 127.0.14.20:3306; work files under backup/target/snapshot-bench.
set -euo pipefail
cd "$(dirname "$0")/../.."
. bin/jdk.sh; autopilot_find_jdk
autopilot_jvm_flags agent  # the agent's own JVM flags: the restore runs in the agent's JVM in production
size_mib=${1:-1024}

mvn -q -pl backup test-compile
mvn -q -pl backup dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/snapshot-bench-classpath.txt
# Snapshot the sibling modules' jars: a concurrent `mvn install` replacing one would break class loading mid-run.
mkdir -p backup/target/snapshot-bench-lib
cp=backup/target/test-classes:backup/target/classes
IFS=: read -ra entries < backup/target/snapshot-bench-classpath.txt || true  # no trailing newline
for jar in "${entries[@]}"; do
  case "$jar" in
    */dev/autopilot/*) cp -f "$jar" backup/target/snapshot-bench-lib/ && cp+=":backup/target/snapshot-bench-lib/$(basename "$jar")" ;;
    *) cp+=":$jar" ;;
  esac
done
exec "$JAVA" "${AUTOPILOT_JVM_FLAGS[@]}" -cp "$cp" dev.autopilot.backup.snapshot.SnapshotBench "$PWD/backup/target/snapshot-bench" "$size_mib"
