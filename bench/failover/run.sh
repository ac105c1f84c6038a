#!/usr/bin/env bash
# Failover benchmark: every scenario N times (default 5) in async and zero-loss modes on a real 3-member cluster
# (3 etcd members, 3 agents with mariadbd, 127.0.15.x and 127.0.16.x). Prints median/max write unavailability and
# lost acknowledged writes. Takes ~10-20 minutes. Usage: bench/failover/run.sh [TRIALS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/bin/jdk.sh"; autopilot_find_jdk
cd "$root"
mvn -B -q -DskipTests install >/dev/null
mvn -B -q -pl agent test-compile dependency:build-classpath -Dmdep.outputFile=agent/target/bench.classpath -Dmdep.includeScope=test >/dev/null
cp="$root/agent/target/test-classes:$root/agent/target/classes:$(cat agent/target/bench.classpath)"
cd agent
exec "$JAVA" -Xmx256m --enable-native-access=ALL-UNNAMED -cp "$cp" dev.autopilot.agent.it.FailoverBench "${1:-5}"
