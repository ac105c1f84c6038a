package dev.autopilot.agent.lifecycle;

import dev.autopilot.agent.config.AgentConfig;
import dev.autopilot.backup.pitr.PointInTimeRestore;
import dev.autopilot.backup.restore.Restorer;
import dev.autopilot.mysql.config.MemberIdentity;
import dev.autopilot.mysql.config.ServerSettings;
import dev.autopilot.mysql.gtid.GtidPosition;
import dev.autopilot.mysql.server.DataDirectory;
import dev.autopilot.storage.SnapshotStore;
import dev.autopilot.storage.SnapshotStores;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code bootstrap.fromBackup}: the data directory of a new cluster's first member, restored from another cluster's
 * backup (snapshot plus archived binlogs up to the target) by a private temporary server in a staging directory,
 * which then becomes the data directory. Root is reset there to a fresh install's state, so the usual account
 * bootstrap gives the restored data this cluster's secrets. The replayed binlogs are dropped (the old cluster's
 * archive has them); the caller seeds the history from the position reached.
 */
public final class BackupBootstrap {
    private static final Logger LOG = LoggerFactory.getLogger(BackupBootstrap.class);
    private static final List<String> RESET_ROOT = List.of("FLUSH PRIVILEGES", "CREATE USER IF NOT EXISTS 'root'@'localhost'",
            "ALTER USER 'root'@'localhost' IDENTIFIED BY ''", "GRANT ALL PRIVILEGES ON *.* TO 'root'@'localhost' WITH GRANT OPTION");

    private final String member;
    private final Path memberDir;
    private final Path dataDir;
    private final MemberIdentity identity;

    /**
     * @param memberDir the agent's directory ({@code member.dataDir}), for the staging and work directories
     * @param dataDir   the server's data directory, which must be absent or empty
     */
    public BackupBootstrap(String member, Path memberDir, Path dataDir, MemberIdentity identity) {
        this.member = member;
        this.memberDir = memberDir;
        this.dataDir = dataDir;
        this.identity = identity;
    }

    /** Restores {@code from} into the data directory; returns the GTID position reached. */
    public GtidPosition restore(AgentConfig.Bootstrap from) throws IOException, InterruptedException {
        Path staging = memberDir.resolve("bootstrap-restore");
        Path work = memberDir.resolve("bootstrap-work");
        DataDirectory.delete(staging); // a restore interrupted earlier starts over
        DataDirectory.delete(work);
        if (!DataDirectory.isEmpty(dataDir)) {
            throw new IllegalStateException("bootstrap.fromBackup: data directory " + dataDir + " is not empty; "
                    + "a new cluster is restored only into an empty one (move it away to start from the backup)");
        }
        ServerSettings temporary = PointInTimeRestore.temporaryServer(identity, staging, work); // no grant checks until RESET_ROOT
        try (SnapshotStore objects = SnapshotStores.open(from.source())) {
            LOG.info("{}: new cluster starts from the backup in {} ({}); restoring it", member, objects.location(), from.target().describe());
            PointInTimeRestore.Result result;
            try {
                result = PointInTimeRestore.of(objects, Restorer.withDefaults(), work)
                        .restore(from.target(), temporary, Duration.ofMinutes(30), RESET_ROOT);
            } catch (IOException e) {
                throw new IOException("bootstrap.fromBackup: restoring " + from.target().describe() + " from " + objects.location()
                        + " failed: " + e.getMessage(), e);
            }
            try (var binlogs = Files.newDirectoryStream(staging, "binlog.*")) {
                for (Path f : binlogs) {
                    Files.delete(f);
                }
            }
            Files.createDirectories(dataDir.getParent());
            Files.deleteIfExists(dataDir);
            Files.move(staging, dataDir, StandardCopyOption.ATOMIC_MOVE);
            identity.store(dataDir);
            LOG.info("{}: restored snapshot {} plus {} archived binlog(s): GTID position {}; next: start as the first primary",
                    member, result.snapshot().id(), result.binlogsApplied(), result.reached());
            return result.reached();
        } finally {
            DataDirectory.delete(work);
        }
    }
}
