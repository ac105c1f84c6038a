package dev.autopilot.backup.snapshot;

import dev.autopilot.mysql.gtid.GtidPosition;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * One complete snapshot: what its {@code meta.json} records.
 *
 * @param id            sortable name, the UTC time it was started ({@code 20261125T123718.123Z})
 * @param dataKey       the key of the compressed xbstream ({@code snapshots/<id>/backup.xbstream.zst})
 * @param created       when the backup started
 * @param source        the member it was taken from, for operators
 * @param serverVersion the source server's version
 * @param gtidPosition  the source's GTID position at the backup's consistent point
 * @param binlogFile    the source's binlog file at that point
 * @param binlogOffset  and the offset in it
 * @param size          bytes of the stored (compressed) object
 * @param sha256        its SHA-256, as the store recorded it
 * @param duration      how long backup + upload took
 */
public record SnapshotInfo(String id, String dataKey, Instant created, String source, String serverVersion,
                           GtidPosition gtidPosition, String binlogFile, long binlogOffset, long size, String sha256,
                           Duration duration) {

    public SnapshotInfo {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(dataKey, "dataKey");
        Objects.requireNonNull(created, "created");
        Objects.requireNonNull(gtidPosition, "gtidPosition");
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(duration, "duration");
    }
}
