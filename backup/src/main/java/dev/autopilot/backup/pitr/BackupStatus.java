package dev.autopilot.backup.pitr;

import dev.autopilot.backup.snapshot.SnapshotInfo;

import java.time.Instant;
import java.util.Optional;

/**
 * What the status output and the metrics show about backups on this member.
 *
 * @param lastSnapshot        the last snapshot this member completed
 * @param lastFailure         when the last attempt failed, if it failed after the last success
 * @param lastError           why, in one sentence
 * @param consecutiveFailures failed attempts since the last success
 * @param nextAttempt         earliest time the scheduler should try again (backoff after failures)
 * @param bytesUploaded       bytes of snapshots uploaded by this member since it started (a counter)
 */
public record BackupStatus(Optional<SnapshotInfo> lastSnapshot, Optional<Instant> lastFailure, Optional<String> lastError,
                           int consecutiveFailures, Instant nextAttempt, long bytesUploaded) {
}
