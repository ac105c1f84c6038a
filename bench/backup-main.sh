#!/usr/bin/env bash
# Runs a main class from the backup module's test classpath with the agent's own JVM flags (a restore or a clone
# runs inside the agent in production, so that is what the benches measure).
# Usage: bench/backup-main.sh CLASS [ARGS...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. bin/jdk.sh; autopilot_find_jdk
autopilot_jvm_flags agent
mvn -q -pl backup -am install -DskipTests >/dev/null
mvn -q -pl backup dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-classpath.txt >/dev/null
# Snapshot the sibling modules' jars: a concurrent `mvn install` replacing one would break class loading mid-run.
mkdir -p backup/target/bench-lib
cp=backup/target/test-classes:backup/target/classes
IFS=: read -ra entries < backup/target/bench-classpath.txt || true  # no trailing newline
for jar in "${entries[@]}"; do
  case "$jar" in
    */dev/autopilot/*) cp -f "$jar" backup/target/bench-lib/ && cp+=":backup/target/bench-lib/$(basename "$jar")" ;;
    *) cp+=":$jar" ;;
  esac
done
main=$1; shift
exec "$JAVA" "${AUTOPILOT_JVM_FLAGS[@]}" -cp "$cp" "$main" "$@"
