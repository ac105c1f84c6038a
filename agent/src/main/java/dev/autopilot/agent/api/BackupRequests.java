package dev.autopilot.agent.api;

import java.util.List;
import java.util.Map;

/**
 * Seam for the snapshot feature: what {@code POST /backup}, {@code GET /backups} and {@code POST /restore} do.
 * Until an implementation is plugged in with {@link RestApi#withBackups}, those endpoints answer
 * {@code 501 Not Implemented} with a sentence saying so.
 */
public interface BackupRequests {

    /** Starts a snapshot now; returns a sentence saying what was started. @throws IllegalStateException when refused */
    String backup();

    /** Snapshots in the store, newest first, each a small JSON-able map (id, time, size, gtid position). */
    List<Map<String, Object>> list();

    /** Rebuilds this member from {@code snapshotId} (or the newest when empty). @throws IllegalStateException when refused */
    String restore(String snapshotId);
}
