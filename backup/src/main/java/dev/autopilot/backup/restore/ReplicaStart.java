package dev.autopilot.backup.restore;

import dev.autopilot.mysql.admin.DatabaseAdmin;
import dev.autopilot.mysql.config.MemberIdentity;
import dev.autopilot.mysql.flavor.ReplicationSource;
import dev.autopilot.mysql.flavor.ReplicationStatus;
import dev.autopilot.mysql.gtid.GtidPosition;
import dev.autopilot.mysql.server.LocalServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;

/**
 * The joiner's steps after a {@link Restorer}: start the server on the copy, declare the copy's GTID
 * position, point replication at the primary and wait until it has caught up. Each step is a separate
 * call so the agent decides when (and whether) to take the next one; nothing here chooses a primary.
 */
public final class ReplicaStart {

    private static final Logger log = LoggerFactory.getLogger(ReplicaStart.class);
    private static final Duration PROBE_SLICE = Duration.ofSeconds(1);

    private ReplicaStart() {
    }

    /**
     * Makes the copy this member's own (its identity file, which fixes its {@code server_id}) and starts
     * the server on it. The server starts read-only with replication stopped, as every server does.
     */
    public static void startServer(LocalServer server, RestoredCopy copy, Duration deadline) {
        if (!server.settings().dataDir().toAbsolutePath().normalize().equals(copy.datadir())) {
            throw new IllegalArgumentException("server " + server.address() + " runs on " + server.settings().dataDir()
                    + " but the copy was restored into " + copy.datadir());
        }
        MemberIdentity identity = server.settings().identity();
        identity.store(copy.datadir());
        server.start(deadline);
        log.info("started the restored copy in {} as {} on {}; next: set its GTID position and replicate", copy.datadir(),
                identity, server.address());
    }

    /**
     * {@code SET GLOBAL gtid_slave_pos} to the copy's position, {@code CHANGE MASTER TO ...
     * MASTER_USE_GTID=slave_pos}, {@code START SLAVE}: replication resumes right after the backup's
     * consistent point, neither re-fetching nor skipping a transaction.
     */
    public static void replicateFrom(DatabaseAdmin admin, RestoredCopy copy, ReplicationSource primary) {
        GtidPosition position = copy.gtidPosition();
        admin.setGtidSlavePos(position);
        admin.changePrimary(primary);
        admin.startReplica();
        log.info("{} replicates from {} starting after GTID position {}", admin.target(), primary, position);
    }

    /**
     * Waits until the server has applied {@code primaryPosition} (read on the primary by the caller).
     *
     * @return true when reached, false when the timeout passed first
     * @throws IllegalStateException when replication has stopped on an error, so waiting longer is pointless
     */
    public static boolean awaitCaughtUp(DatabaseAdmin admin, GtidPosition primaryPosition, Duration timeout) {
        Instant until = Instant.now().plus(timeout);
        while (true) {
            ReplicationStatus status = admin.replicationStatus();
            if (status.sqlFailed() || (status.io() == ReplicationStatus.IoState.STOPPED && status.lastIoErrno() != 0)) {
                throw new IllegalStateException("replication on " + admin.target() + " stopped before catching up to "
                        + primaryPosition + ": " + (status.sqlFailed()
                        ? "SQL error " + status.lastSqlErrno() + ": " + status.lastSqlError()
                        : "I/O error " + status.lastIoErrno() + ": " + status.lastIoError()));
            }
            Duration left = Duration.between(Instant.now(), until);
            if (left.isNegative() || left.isZero()) {
                return false;
            }
            if (admin.waitForGtid(primaryPosition, left.compareTo(PROBE_SLICE) < 0 ? left : PROBE_SLICE)) {
                log.info("{} has caught up to the primary's position {}", admin.target(), primaryPosition);
                return true;
            }
        }
    }
}
