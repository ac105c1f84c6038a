package dev.autopilot.backup.restore;

import dev.autopilot.mysql.gtid.GtidPosition;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A prepared data directory, ready for mariadbd, and where it stands in the donor's history.
 *
 * @param datadir the data directory now holding the copy
 * @param binlog  the donor's binlog coordinates and GTID position at the backup's consistent point
 * @param bytes   size of the xbstream received
 * @param elapsed wall-clock time from opening the source to the copy being in place
 */
public record RestoredCopy(Path datadir, BackupBinlogInfo binlog, long bytes, Duration elapsed) {

    /** The value for {@code gtid_slave_pos} before {@code CHANGE MASTER ... MASTER_USE_GTID=slave_pos}. */
    public GtidPosition gtidPosition() {
        return binlog.gtidPosition();
    }
}
