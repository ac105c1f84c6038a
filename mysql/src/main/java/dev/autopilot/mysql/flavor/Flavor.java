package dev.autopilot.mysql.flavor;

import dev.autopilot.mysql.gtid.ReplicationPosition;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The seam between MariaDB and MySQL: every statement whose text differs between them is produced
 * here, so the rest of the module (and the agent) speaks one vocabulary. Implementations only build
 * SQL text and parse results; {@link dev.autopilot.mysql.admin.DatabaseAdmin} executes it.
 *
 * <p>{@link MariaDbFlavor} is exercised against a live MariaDB 10.11 in this module's tests;
 * {@link MySqlFlavor} is verified on its SQL text only.
 */
public sealed interface Flavor permits MariaDbFlavor, MySqlFlavor {

    /** Oldest MariaDB supported: 10.5 (BINLOG MONITOR / REPLICATION SLAVE ADMIN privileges, semi-sync built in). */
    ServerVersion MIN_MARIADB = new ServerVersion(ServerVersion.Product.MARIADB, 10, 5, 0, "10.5.0");
    /** Oldest MySQL supported: 8.0.26 (REPLICA/SOURCE statements and rpl_semi_sync_source variables). */
    ServerVersion MIN_MYSQL = new ServerVersion(ServerVersion.Product.MYSQL, 8, 0, 26, "8.0.26");

    /** The flavor for {@code SELECT VERSION()} output; rejects unsupported versions with a clear error. */
    static Flavor detect(String versionString) {
        return forVersion(ServerVersion.parse(versionString));
    }

    /** The flavor for a parsed version; rejects unsupported versions with a clear error. */
    static Flavor forVersion(ServerVersion v) {
        return switch (v.product()) {
            case MARIADB -> {
                if (v.compareTo(MIN_MARIADB) < 0) {
                    throw new UnsupportedServerException("server '" + v.raw() + "' is MariaDB " + v.major() + "." + v.minor()
                            + ": Autopilot needs MariaDB 10.5 or later (upgrade the server image)");
                }
                yield new MariaDbFlavor(v);
            }
            case MYSQL -> {
                if (v.compareTo(MIN_MYSQL) < 0) {
                    throw new UnsupportedServerException("server '" + v.raw() + "' is MySQL " + v.major() + "." + v.minor() + "." + v.patch()
                            + ": Autopilot needs MySQL 8.0.26 or later (upgrade the server image)");
                }
                yield new MySqlFlavor(v);
            }
        };
    }

    ServerVersion version();

    /** One-column query: everything this server has executed (MariaDB gtid_current_pos, MySQL gtid_executed). */
    String executedPositionQuery();

    /** One-column query: the binlog's GTID state, used on the primary side of the errant-transaction check. */
    String binlogStateQuery();

    /** One-column query: the position received from a primary and applied (MariaDB gtid_slave_pos, MySQL gtid_executed). */
    String replicaPositionQuery();

    /** Parses a value returned by the position queries. */
    ReplicationPosition parsePosition(String text);

    /** Points replication at a source with GTID auto-positioning. Contains the password: never log it. */
    String changeSource(ReplicationSource source);

    String startReplica();

    String stopReplica();

    /** Stops only the receiver thread, so the applier can finish the relay log during a promotion. */
    String stopReceiver();

    /** Forgets the source entirely (the server becomes a primary). */
    String resetReplica();

    /** Query returning zero rows (no source) or one row of replica status. */
    String replicaStatusQuery();

    /** Interprets one row of {@link #replicaStatusQuery()} keyed by column label. */
    ReplicationStatus readReplicaStatus(Map<String, String> row);

    /** Statements that turn writes off ({@code true}) or on for ordinary users. */
    List<String> setReadOnly(boolean readOnly);

    /** One-column query returning 1 when the server refuses writes from ordinary users. */
    String readOnlyQuery();

    /**
     * After a restore: statements declaring the restored data's position, so replication starts exactly
     * after it (MariaDB {@code SET GLOBAL gtid_slave_pos}; MySQL {@code RESET MASTER} + {@code gtid_purged}).
     * Replica threads must be stopped.
     */
    List<String> setExecutedPosition(ReplicationPosition position);

    /** One-column query that blocks until {@code position} is applied or the timeout passes. */
    String waitForPosition(ReplicationPosition position, Duration timeout);

    /** Whether the number returned by {@link #waitForPosition} means "reached". */
    boolean waitReached(long result);

    /** Semi-synchronous replication (AFTER_SYNC) on a primary; {@code timeout} is how long a commit waits for an ack. */
    List<String> semiSyncPrimary(boolean enabled, Duration timeout);

    /** Semi-synchronous acknowledgement on a replica (takes effect when the receiver thread restarts). */
    List<String> semiSyncReplica(boolean enabled);
}
