package dev.autopilot.agent.db;

import dev.autopilot.mysql.flavor.ReplicationStatus;
import dev.autopilot.mysql.gtid.GtidPosition;

/**
 * One reading of the local database, taken at the start of an HA cycle.
 *
 * @param reachable     the server answered
 * @param readOnly      {@code read_only} is ON
 * @param position      {@code gtid_current_pos}: everything executed
 * @param binlogState   {@code gtid_binlog_state}: last GTID per (domain, server id) written to the binlog
 * @param slavePosition {@code gtid_slave_pos}
 * @param replication   the replica threads
 * @param version       server version text
 * @param error         why it is unreachable, when it is
 * @param asyncFallback the primary side of semi-sync is enabled but has fallen back to asynchronous replication
 *                      (no replica acknowledged within the timeout): commits are acknowledged without a copy
 */
public record DatabaseReading(boolean reachable, boolean readOnly, GtidPosition position, GtidPosition binlogState,
                              GtidPosition slavePosition, ReplicationStatus replication, String version, String error,
                              boolean asyncFallback) {

    public DatabaseReading(boolean reachable, boolean readOnly, GtidPosition position, GtidPosition binlogState,
                           GtidPosition slavePosition, ReplicationStatus replication, String version, String error) {
        this(reachable, readOnly, position, binlogState, slavePosition, replication, version, error, false);
    }

    public static DatabaseReading unreachable(String error) {
        return new DatabaseReading(false, true, GtidPosition.empty(), GtidPosition.empty(), GtidPosition.empty(),
                ReplicationStatus.notConfigured(), "", error);
    }

    /**
     * What this server will have executed once its relay log is applied: its position merged with what the
     * receiver has fetched. Elections compare this, since the winner applies its relay log before opening writes.
     */
    public GtidPosition eventualPosition() {
        String received = replication.receivedPosition();
        if (received == null || received.isBlank()) {
            return position;
        }
        try {
            return position.merge(GtidPosition.parse(received));
        } catch (RuntimeException e) {
            return position;
        }
    }

    /** Replication lag in milliseconds, -1 when not replicating or unknown. */
    public long lagMillis() {
        return replication.configured() ? replication.secondsBehind().map(s -> s * 1000).orElse(-1L) : -1L;
    }

    /** Healthy as a replica: both threads running without error. */
    public boolean replicaHealthy() {
        return reachable && replication.configured() && replication.ioRunning() && replication.sqlRunning()
                && replication.lastSqlErrno() == 0;
    }

    /** The replication problem in one line, empty when none. */
    public String replicationProblem() {
        if (!replication.configured()) {
            return "";
        }
        if (replication.lastSqlErrno() != 0) {
            return "SQL thread error " + replication.lastSqlErrno() + ": " + replication.lastSqlError();
        }
        if (replication.lastIoErrno() != 0) {
            return "I/O thread error " + replication.lastIoErrno() + ": " + replication.lastIoError();
        }
        return "";
    }
}
