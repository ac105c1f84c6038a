#!/usr/bin/env bash
# Soak: 3-member cluster under writes, a random agent or mariadbd SIGSTOPped for 2 s every 5-15 s; no failover may follow.
# Prints pauses, leader changes (false failovers), writes, longest write gap. Usage: bench/soak/run.sh [MINUTES] (default 30)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/bin/jdk.sh"; autopilot_find_jdk
cd "$root"
mvn -B -q -DskipTests install >/dev/null
mvn -B -q -pl agent test-compile dependency:build-classpath -Dmdep.outputFile=agent/target/bench.classpath -Dmdep.includeScope=test >/dev/null
cp="$root/agent/target/test-classes:$root/agent/target/classes:$(cat agent/target/bench.classpath)"
cd agent
exec "$JAVA" -Xmx256m --enable-native-access=ALL-UNNAMED -cp "$cp" dev.autopilot.agent.it.SoakBench "${1:-30}"
