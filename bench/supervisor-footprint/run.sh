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
# Runs through the launcher, so the figures are those of bin/autopilot's own JVM flags (its 'supervise' set)
# and of the shipped jar with its logback configuration.
export FOOTPRINT_DIR="$(mktemp -d /tmp/supervisor-footprint.XXXXXX)"
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$FOOTPRINT_DIR"' EXIT
[[ -f "$root/cli/target/autopilot.jar" ]] || (cd "$root" && mvn -B -q -DskipTests install >/dev/null)
"$root/bin/autopilot" supervise --config "$here/supervisor.yaml" --pid1 >"$FOOTPRINT_DIR/out.log" 2>&1 &
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
echo "supervisor footprint: one job idle for ${seconds}s (after ${settle}s settling), bin/autopilot supervise"
echo "  JVM flags:    $(tr '\0' ' ' < /proc/$pid/cmdline | sed 's/ -jar .*//')"
echo "  RSS:          $((rss_kb / 1024)) MB (peak $((hwm_kb / 1024)) MB)   target < 64 MB"
echo "  CPU idle:     ${cpu} % of one core                 target < 1 %"
echo "  CPU startup:  ${startup_cpu} s    threads: ${threads}"
grep -q "job idle: started" "$FOOTPRINT_DIR/out.log" || { echo "supervisor did not start its job:"; cat "$FOOTPRINT_DIR/out.log"; exit 1; }
awk -v r="$rss_kb" -v c="$cpu" 'BEGIN { exit !(r < 64 * 1024 && c < 1.0) }' && echo "  result:       within target" || { echo "  result:       OVER TARGET"; exit 1; }
