#!/usr/bin/env bash
# Footprint of the supervisor idling with one job (health-checked every 10 s, orphan reaper on):
# prints resident memory (RSS now and peak) and CPU use over the idle window.
# Target: RSS < 64 MB and CPU < 1 % of one core with the launcher's JVM flags (below).
#   bench/supervisor-footprint/run.sh            # 60 s idle window
#   FOOTPRINT_SECONDS=20 bench/supervisor-footprint/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds="${FOOTPRINT_SECONDS:-60}"
settle="${FOOTPRINT_SETTLE:-5}"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
java="$JAVA_HOME/bin/java"
# The launcher's flags (bin/autopilot should use the same), plus MALLOC_ARENA_MAX=2 in its environment.
JVM_FLAGS=(${AUTOPILOT_JVM_FLAGS:--XX:+UseSerialGC -Xms4m -Xmx32m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30 -Xss512k -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:ReservedCodeCacheSize=16m -XX:+UseCompactObjectHeaders -XX:TrimNativeHeapInterval=2000 -Xshare:auto --enable-native-access=ALL-UNNAMED})
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
# Logging backend: slf4j-simple (default) or logback configured by XML (FOOTPRINT_LOGGING=logback), which
# alone loads ~650 classes (Joran + the JDK's XML parser) and costs about 5 MB RSS.
logging="${FOOTPRINT_LOGGING:-simple}"

export FOOTPRINT_DIR="$(mktemp -d /tmp/supervisor-footprint.XXXXXX)"
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$FOOTPRINT_DIR"' EXIT

cp_file="$root/supervisor/target/footprint-classpath.txt"
if [[ ! -f "$root/supervisor/target/classes/dev/autopilot/supervisor/SupervisorMain.class" || ! -f "$cp_file" ]]; then
  (cd "$root" && mvn -o -q -pl supervisor compile dependency:build-classpath -Dmdep.includeScope=runtime -Dmdep.outputFile="$cp_file")
fi
m2="${MAVEN_REPO:-$HOME/.m2/repository}"
if [[ "$logging" == logback ]]; then
  backend="$m2/ch/qos/logback/logback-classic/1.6.6/logback-classic-1.6.6.jar:$m2/ch/qos/logback/logback-core/1.6.6/logback-core-1.6.6.jar"
  log_flags=(-Dlogback.configurationFile="$here/logback.xml")
else
  backend="$m2/org/slf4j/slf4j-simple/2.0.20/slf4j-simple-2.0.20.jar"
  [[ -f "$backend" ]] || (cd "$root" && mvn -q dependency:get -Dartifact=org.slf4j:slf4j-simple:2.0.20)
  log_flags=(-Dorg.slf4j.simpleLogger.showDateTime=true -Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS)
fi
classpath="$root/supervisor/target/classes:$(cat "$cp_file"):$backend"

"$java" "${JVM_FLAGS[@]}" "${log_flags[@]}" -cp "$classpath" \
  dev.autopilot.supervisor.SupervisorMain --config "$here/supervisor.yaml" --pid1 >"$FOOTPRINT_DIR/out.log" 2>&1 &
pid=$!

ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
sleep "$settle"
t0=$(ticks); s0=$(date +%s.%N)
sleep "$seconds"
t1=$(ticks); s1=$(date +%s.%N)
rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
hwm_kb=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
threads=$(awk '/^Threads/ {print $2}' "/proc/$pid/status")
cpu=$(awk -v t0="$t0" -v t1="$t1" -v s0="$s0" -v s1="$s1" -v hz="$hz" 'BEGIN {printf "%.3f", 100 * (t1 - t0) / hz / (s1 - s0)}')
startup_cpu=$(awk -v t="$t0" -v hz="$hz" 'BEGIN {printf "%.2f", t / hz}')
echo "supervisor footprint: one job idle for ${seconds}s (after ${settle}s settling), $("$java" -version 2>&1 | head -1)"
echo "  JVM flags:    ${JVM_FLAGS[*]}  (MALLOC_ARENA_MAX=$MALLOC_ARENA_MAX, logging: $logging)"
echo "  RSS:          $((rss_kb / 1024)) MB (peak $((hwm_kb / 1024)) MB)   target < 64 MB"
echo "  CPU idle:     ${cpu} % of one core                 target < 1 %"
echo "  CPU startup:  ${startup_cpu} s    threads: ${threads}"
grep -q "job idle: started" "$FOOTPRINT_DIR/out.log" || { echo "supervisor did not start its job:"; cat "$FOOTPRINT_DIR/out.log"; exit 1; }
awk -v r="$rss_kb" -v c="$cpu" 'BEGIN { exit !(r < 64 * 1024 && c < 1.0) }' && echo "  result:       within target" || { echo "  result:       OVER TARGET"; exit 1; }
