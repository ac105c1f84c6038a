#!/usr/bin/env bash
# Runs a main class from the backup module's test classpath with the agent's own JVM flags (a restore or a clone
# runs inside the agent in production, so that is what the benches measure).
# Usage: bench/backup-main.sh CLASS [ARGS...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. bin/jdk.sh; autopilot_find_jdk
autopilot_jvm_flags agent
# One reactor build, nothing installed: the sibling modules resolve to their target/classes (a `mvn install` here
# would overwrite the snapshots in the shared local repository that other checkouts build against).
mvn -B -q -pl backup -am test-compile dependency:build-classpath -Dmdep.outputFile="$root/backup/target/bench-classpath.txt" \
    -Dmdep.includeScope=test >/dev/null
cp="backup/target/test-classes:backup/target/classes:$(cat backup/target/bench-classpath.txt)"
main=$1; shift
exec "$JAVA" "${AUTOPILOT_JVM_FLAGS[@]}" -cp "$cp" "$main" "$@"
