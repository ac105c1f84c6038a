#!/usr/bin/env bash
# Fault-injection campaign (issue 12): a real cluster (3 etcd members, 3 or 5 agents with mariadbd, a directory
# object store, clients connected directly to every member) inside its own network namespace; faults from a seeded
# schedule, each healed; then the checker's verdict. Prints faults by type, acknowledged and lost writes,
# two-writable samples, convergence times and stuck members; writes the full history to
# agent/target/faults/seed-<S>-<mode>-<N>m.history. Exit 0: no violation, 1: violations, 2: the harness failed.
# Usage: bench/faults/run.sh --seed S --minutes M [--zero-loss] [--members 5] [--faults N] [--kinds KILL_NODE,PAUSE_AGENT,...]
# Needs root (unshare -m -n, iptables and tmpfs mounts inside the namespaces). See docs/reliability.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/bin/jdk.sh"; autopilot_find_jdk
if [ "$(id -u)" != 0 ]; then
  echo "bench/faults: needs root for its private network namespace (unshare -n) and iptables inside it" >&2
  exit 2
fi
cd "$root"
# Compiled in the reactor, nothing installed into ~/.m2: the class path points at each module's target/classes.
mvn -B -q -ntp -pl agent -am test-compile dependency:build-classpath \
    -Dmdep.outputFile="$root/agent/target/faults.classpath" -Dmdep.includeScope=test >/dev/null
cp="$root/agent/target/test-classes:$root/agent/target/classes:$(cat "$root/agent/target/faults.classpath")"
cd agent
# Its own network namespace (loopback only) and mount namespace (each member's data on a tmpfs the host never sees).
AUTOPILOT_PARENT_NETNS=$(readlink /proc/self/ns/net) AUTOPILOT_PARENT_MNTNS=$(readlink /proc/self/ns/mnt) exec unshare -m -n -- sh -c 'ip link set lo up && exec "$0" "$@"' \
    "$JAVA" -Xmx256m -XX:+UseSerialGC --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -cp "$cp" dev.autopilot.agent.it.FaultCampaign "$@"
