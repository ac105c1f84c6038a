#!/usr/bin/env bash
# Failover benchmark: every scenario N times (default 5) in async and zero-loss modes on a real 3-member cluster
# (3 etcd members, 3 agents with mariadbd, 127.0.15.x and 127.0.16.x). Prints median/max write unavailability and
# lost acknowledged writes. Takes ~10-20 minutes.
# Usage: bench/failover/run.sh [--via-haproxy] [TRIALS] [async|zero-loss|all] [SCENARIO-PREFIX, e.g. "node crash"]
# FAILOVER_BENCH_SUBNETS=A,B: the async and zero-loss clusters' address bases (default 127.0.15,127.0.16).
#   --via-haproxy  also writes through a real HAProxy (as 'local up' configures it) and prints both figures side by side
exec "$(dirname "$0")/../agent-main.sh" dev.autopilot.agent.it.FailoverBench "$@"
