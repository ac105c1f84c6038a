#!/usr/bin/env bash
# Soak: 3-member cluster under writes, a random agent or mariadbd SIGSTOPped for 2 s every 5-15 s; no failover may
# follow. Prints pauses, leader changes (false failovers), writes, longest write gap.
# Usage: bench/soak/run.sh [MINUTES] (default 30)
exec "$(dirname "$0")/../agent-main.sh" dev.autopilot.agent.it.SoakBench "${1:-30}"
