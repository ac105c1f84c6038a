#!/bin/sh
# Many clusters on one coordination store: M simulated members (the agent's real HA loop, registrations, lock and
# watches; the database simulated in-process) in M/3 clusters against a real 3-member etcd on 127.0.90.1-3. Prints per
# M the store requests per member, etcd CPU and db size, watch latency and lock hand-over p50/p99.
# Usage: bench/scale/run.sh [M,M,...] [window seconds] [hand-overs]   (default 30,300,1000 30 30; needs etcd-server,
# JDK 25, Maven with ~/.m2 populated). Runs on whatever else the machine does: note the load average it prints.
set -eu
cd "$(dirname "$0")/../.."
: "${JAVA_HOME:=/usr/lib/jvm/temurin-25-jdk-amd64}"
export JAVA_HOME
AUTOPILOT_LOG_LEVEL="${AUTOPILOT_LOG_LEVEL:-warn}" mvn -B -ntp -o -q test -pl agent -am -Dtest=ScaleBench -Dbench.excludedGroups=none \
  -Dsurefire.failIfNoSpecifiedTests=false -Dscale.members="${1:-30,300,1000}" -Dscale.window="${2:-30}" -Dscale.handovers="${3:-30}"
grep '^BENCH' agent/target/surefire-reports/dev.autopilot.agent.ha.ScaleBench-output.txt
