package dev.autopilot.agent.lifecycle;

import dev.autopilot.backup.restore.BackupBinlogInfo;
import dev.autopilot.mysql.gtid.GtidPosition;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * A marker beside the data directory, present from before a copy (snapshot or live clone) replaces the member's data
 * until the copy's replication position has been applied. A restored copy knows its position only from its
 * {@code xtrabackup_binlog_info}; the server does not, until the agent sets {@code gtid_slave_pos}. An agent that
 * stops in between (crash, SIGKILL, host loss) would otherwise come back to a data directory that looks like its own
 * and replicate it from an empty position. With the marker, the next start applies the position it missed.
 *
 * @param file the marker file, in the member's agent directory
 */
public record CopyInProgress(Path file) {

    /** The marker's name in {@code member.dataDir}. */
    public static final String FILE_NAME = "copy-in-progress";

    public static CopyInProgress in(Path memberDir) {
        return new CopyInProgress(memberDir.resolve(FILE_NAME));
    }

    /** Written, durably, before the copy is fetched. */
    public void begin(String source) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, "a copy from " + source + " started at " + Instant.now()
                + "; its replication position is applied at the next start\n", StandardCharsets.UTF_8);
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
            c.force(true);
        }
        forceDirectory(file.getParent());
    }

    public boolean isPresent() {
        return Files.exists(file);
    }

    /**
     * The position of the copy in {@code dataDir} that the marker says was never applied.
     *
     * @throws IOException the copy has no binlog info (it is not a restored copy; move it away to provision again)
     */
    public GtidPosition unappliedPosition(Path dataDir) throws IOException {
        return BackupBinlogInfo.read(dataDir).gtidPosition();
    }

    /** Removed once the position is applied, before replication can start. */
    public void finish() throws IOException {
        if (Files.deleteIfExists(file)) {
            forceDirectory(file.getParent());
        }
    }

    private static void forceDirectory(Path dir) throws IOException {
        try (FileChannel c = FileChannel.open(dir, StandardOpenOption.READ)) {
            c.force(true);
        }
    }
}
