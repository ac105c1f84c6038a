package dev.autopilot.mysql.flavor;

import java.util.Optional;

/**
 * One reading of the replica threads ({@code SHOW SLAVE STATUS} / {@code SHOW REPLICA STATUS}).
 *
 * @param configured      false when the server has no replication source at all (a primary)
 * @param io              the receiver (I/O) thread
 * @param sqlRunning      the applier (SQL) thread runs
 * @param lastIoErrno     0 when none
 * @param lastSqlErrno    0 when none
 * @param secondsBehind   empty when the server cannot say (a thread stopped)
 * @param receivedPosition what the I/O thread has received (MariaDB {@code Gtid_IO_Pos}, MySQL {@code Retrieved_Gtid_Set})
 * @param sqlState        the applier's state text, e.g. "Slave has read all relay log; waiting for more updates"
 * @param readSourceAt    how far the I/O thread has read the source's binlog, as {@code file:offset} (it moves within a
 *                        large transaction, which {@code receivedPosition} does not until its last event arrives)
 */
public record ReplicationStatus(boolean configured, IoState io, boolean sqlRunning,
                                int lastIoErrno, String lastIoError, int lastSqlErrno, String lastSqlError,
                                Optional<Long> secondsBehind, String sourceHost, int sourcePort,
                                String receivedPosition, String sqlState, String readSourceAt) {

    /** A reading that does not say how far the source's binlog was read. */
    public ReplicationStatus(boolean configured, IoState io, boolean sqlRunning, int lastIoErrno, String lastIoError, int lastSqlErrno,
                             String lastSqlError, Optional<Long> secondsBehind, String sourceHost, int sourcePort,
                             String receivedPosition, String sqlState) {
        this(configured, io, sqlRunning, lastIoErrno, lastIoError, lastSqlErrno, lastSqlError, secondsBehind, sourceHost, sourcePort,
                receivedPosition, sqlState, "");
    }

    /** The receiver thread's state. */
    public enum IoState { RUNNING, CONNECTING, STOPPED }

    /** Status of a server that replicates from nobody. */
    public static ReplicationStatus notConfigured() {
        return new ReplicationStatus(false, IoState.STOPPED, false, 0, "", 0, "", Optional.empty(), "", 0, "", "");
    }

    public boolean ioRunning() {
        return io == IoState.RUNNING;
    }

    /** True when the applier has stopped on an error. */
    public boolean sqlFailed() {
        return lastSqlErrno != 0 && !sqlRunning;
    }

    /** True when the applier reports it has executed everything in the relay log. */
    public boolean sqlCaughtUp() {
        return sqlState.contains("read all relay log");
    }
}
