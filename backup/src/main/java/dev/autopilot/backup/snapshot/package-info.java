/**
 * Snapshots in the object store: {@link dev.autopilot.backup.snapshot.SnapshotWriter} streams
 * {@code mariabackup | zstd} into a {@link dev.autopilot.storage.SnapshotStore} in one pass,
 * {@link dev.autopilot.backup.snapshot.SnapshotCatalog} lists the complete ones, and
 * {@link dev.autopilot.backup.snapshot.SnapshotSource} feeds one back to the restore pipeline.
 */
package dev.autopilot.backup.snapshot;
