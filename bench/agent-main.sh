#!/usr/bin/env bash
# Runs a main class from the agent module's test classpath (the benches' real-cluster harness).
# Usage: bench/agent-main.sh CLASS [ARGS...]   (extra Maven flags, e.g. -o, in MAVEN_ARGS)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bin/jdk.sh"; autopilot_find_jdk
cd "$root"
# One reactor build: the sibling modules resolve to their target/classes, so nothing is installed into the shared
# local repository (~/.m2) and the bench runs exactly this checkout's code.
mvn -B -q -pl agent -am test-compile dependency:build-classpath -Dmdep.outputFile="$root/agent/target/bench.classpath" \
    -Dmdep.includeScope=test >/dev/null
cp="$root/agent/target/test-classes:$root/agent/target/classes:$(cat "$root/agent/target/bench.classpath")"
cd agent
main=$1; shift
exec "$JAVA" -Xmx256m --enable-native-access=ALL-UNNAMED -cp "$cp" "$main" "$@"
