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
# The agents the harness starts (AgentNode) run with the launcher's agent flags, as in production, unless the caller
# set AGENT_JVM_FLAGS (e.g. to the test flags: AGENT_JVM_FLAGS="-Xmx160m -XX:+UseSerialGC -XX:TieredStopAtLevel=1").
if [ -z "${AGENT_JVM_FLAGS:-}" ]; then
  autopilot_jvm_flags agent
  export AGENT_JVM_FLAGS="${AUTOPILOT_JVM_FLAGS[*]} ${AUTOPILOT_JAVA_OPTS:-}"
fi
exec "$JAVA" -Xmx256m --enable-native-access=ALL-UNNAMED -cp "$cp" "$main" "$@"
