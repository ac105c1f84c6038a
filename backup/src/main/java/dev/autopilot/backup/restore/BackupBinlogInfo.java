package dev.autopilot.backup.restore;

import dev.autopilot.mysql.gtid.GtidPosition;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The donor's binlog coordinates at the consistent point of a backup, as mariabackup writes them:
 * one line {@code file<TAB>position<TAB>gtid} in {@code mariadb_backup_binlog_info} (MariaDB 11+) or
 * {@code xtrabackup_binlog_info} (MariaDB 10.11). The GTID is the donor's {@code gtid_current_pos},
 * which is what the restored copy's {@code gtid_slave_pos} must be.
 */
public record BackupBinlogInfo(String binlogFile, long binlogOffset, GtidPosition gtidPosition) {

    /** File names mariabackup has used, newest first. */
    static final List<String> FILE_NAMES = List.of("mariadb_backup_binlog_info", "xtrabackup_binlog_info");

    public BackupBinlogInfo {
        Objects.requireNonNull(binlogFile, "binlogFile");
        Objects.requireNonNull(gtidPosition, "gtidPosition");
    }

    /** Parses the file's content; the GTID column may be missing on a donor that has executed nothing. */
    public static BackupBinlogInfo parse(String text) {
        String line = text.strip();
        String[] cols = line.split("\t");
        if (line.isEmpty() || cols.length < 2) {
            throw new IllegalArgumentException("backup binlog info '" + line
                    + "' is not 'file<TAB>position<TAB>gtid' as mariabackup writes it");
        }
        long offset;
        try {
            offset = Long.parseLong(cols[1].strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("backup binlog info '" + line + "': position '" + cols[1] + "' is not a number", e);
        }
        GtidPosition gtid = cols.length >= 3 ? GtidPosition.parse(cols[2].strip()) : GtidPosition.empty();
        return new BackupBinlogInfo(cols[0].strip(), offset, gtid);
    }

    /** Reads the binlog info from a prepared backup directory. */
    public static BackupBinlogInfo read(Path backupDir) throws IOException {
        for (String name : FILE_NAMES) {
            Path file = backupDir.resolve(name);
            if (Files.isRegularFile(file)) {
                return parse(Files.readString(file, StandardCharsets.UTF_8));
            }
        }
        throw new IOException("the backup in " + backupDir + " has no " + String.join(" or ", FILE_NAMES)
                + ": the donor must run with log_bin enabled so the copy knows where to start replicating");
    }
}
