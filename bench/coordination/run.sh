#!/bin/sh
# Lock hand-over and watch notification latency (median, p99) on a real 3-member etcd cluster on 127.0.2.7-9.
# Usage: bench/coordination/run.sh   (from anywhere; needs etcd-server, JDK 25, Maven with ~/.m2 populated)
set -eu
cd "$(dirname "$0")/../.."
: "${JAVA_HOME:=/usr/lib/jvm/temurin-25-jdk-amd64}"
export JAVA_HOME
mvn -o -q -pl coordination test -Dtest=CoordinationBench -Dbench.excludedGroups=none -Dsurefire.failIfNoSpecifiedTests=false
grep '^BENCH' coordination/target/surefire-reports/dev.autopilot.coordination.etcd.CoordinationBench-output.txt
