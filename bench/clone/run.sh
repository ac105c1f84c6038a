#!/usr/bin/env bash
# Live clone vs raw copy: time to provision a replica of a ~1 GB dataset by live clone (mariabackup
# stream -> framed TCP -> mbstream -> prepare) next to `tar | tar` of the same datadir on the same disk.
# Usage: bench/clone/run.sh [size-MiB]   (default 1024; needs mariadb-server and mariadb-backup)
# Uses 127.0.5.10:3306 (donor server) and :4444 (clone donor); work files under backup/target/clone-bench.
set -euo pipefail
cd "$(dirname "$0")/../.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
size_mib=${1:-1024}

mvn -o -q -pl backup test-compile
mvn -o -q -pl backup dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/classpath.txt
# Snapshot the sibling modules' jars: a concurrent `mvn install` replacing one would break class loading mid-run.
mkdir -p backup/target/bench-lib
cp=backup/target/test-classes:backup/target/classes
IFS=: read -ra entries < backup/target/classpath.txt || true  # no trailing newline
for jar in "${entries[@]}"; do
  case "$jar" in
    */dev/autopilot/*) cp -f "$jar" backup/target/bench-lib/ && cp+=":backup/target/bench-lib/$(basename "$jar")" ;;
    *) cp+=":$jar" ;;
  esac
done
exec "$JAVA_HOME/bin/java" -cp "$cp" dev.autopilot.backup.clone.CloneBench "$PWD/backup/target/clone-bench" "$size_mib"
