/**
 * The recovery window as a whole: point-in-time restore from a snapshot plus archived binlogs
 * ({@link dev.autopilot.backup.pitr.PointInTimeRestore}), which snapshots and binlogs to keep
 * ({@link dev.autopilot.backup.pitr.Retention}), and the facade the agent drives
 * ({@link dev.autopilot.backup.pitr.BackupService}) with its cluster-wide seam
 * ({@link dev.autopilot.backup.pitr.SnapshotCoordination}).
 */
package dev.autopilot.backup.pitr;
