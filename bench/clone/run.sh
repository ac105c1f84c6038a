#!/usr/bin/env bash
# Live clone vs raw copy: time to provision a replica of a ~1 GB dataset by live clone (mariabackup
# stream -> framed TCP -> in-JVM xbstream extractor -> prepare -> fsync) next to `tar | tar` of the same datadir on
# the same disk, with the agent's JVM flags.
# Usage: bench/clone/run.sh [size-MiB]   (default 1024; needs mariadb-server and mariadb-backup)
# Uses 127.0.5.10:3306 (donor server) and :4444 (clone donor); work files under backup/target/clone-bench.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec bench/backup-main.sh dev.autopilot.backup.clone.CloneBench "$PWD/backup/target/clone-bench" "${1:-1024}"
