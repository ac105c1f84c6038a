#!/usr/bin/env bash
# Snapshot vs raw: snapshot throughput (mariabackup | zstd -> object store, digest, metadata) next to
# raw `tar | zstd` of the same datadir, and restore (store -> verify -> zstd-jni -> in-JVM xbstream extractor ->
# prepare -> fsync) next to raw `zstd -d | tar -x` (and with `sync`), with the agent's JVM flags.
# Usage: bench/snapshot/run.sh [size-MiB]   (default 1024; needs mariadb-server and mariadb-backup)
# Uses 127.0.14.20:3306 (SNAPSHOT_BENCH_ADDRESS to change); work files under backup/target/snapshot-bench.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec bench/backup-main.sh dev.autopilot.backup.snapshot.SnapshotBench "$PWD/backup/target/snapshot-bench" "${1:-1024}"
