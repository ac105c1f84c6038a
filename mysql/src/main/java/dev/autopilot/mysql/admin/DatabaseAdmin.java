package dev.autopilot.mysql.admin;

import dev.autopilot.mysql.auth.Credentials;
import dev.autopilot.mysql.flavor.Flavor;
import dev.autopilot.mysql.flavor.MariaDbFlavor;
import dev.autopilot.mysql.flavor.ReplicationSource;
import dev.autopilot.mysql.flavor.ReplicationStatus;
import dev.autopilot.mysql.flavor.ServerVersion;
import dev.autopilot.mysql.gtid.GtidPosition;
import dev.autopilot.mysql.gtid.ReplicationPosition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Administrative control of one server over one persistent JDBC connection (MariaDB Connector/J).
 *
 * <p>The connection is opened lazily and re-opened after a connection failure: each call is tried
 * once more on a fresh connection when the first attempt failed because the connection broke, so a
 * server restart costs one failed probe at most. Every statement runs under the target's query timeout
 * (longer only for explicit waits), so no call hangs. Methods are synchronized: one statement at a time.
 * Failures are {@link DatabaseException}s; the losing and regaining of the connection is logged once
 * per change, not per attempt.
 */
public final class DatabaseAdmin implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DatabaseAdmin.class);

    /** Commands of threads that are the server's own or replication's, spared by {@link #killClientConnections}. */
    private static final Set<String> SERVER_COMMANDS = Set.of("Binlog Dump", "Binlog Dump GTID", "Daemon",
            "Slave_IO", "Slave_SQL", "Slave_worker", "Connect", "Register Slave");

    private final ConnectionTarget target;
    private Connection connection;
    private Flavor flavor;
    private boolean lostLogged;

    public DatabaseAdmin(ConnectionTarget target) {
        this.target = target;
    }

    public ConnectionTarget target() {
        return target;
    }

    /** {@code SELECT 1}: true when the server answered within the query timeout. Never throws. */
    public synchronized boolean ping() {
        try {
            return queryLong("SELECT 1") == 1;
        } catch (DatabaseException e) {
            return false;
        }
    }

    /** The server's product and version, from {@code SELECT VERSION()}. */
    public synchronized ServerVersion serverVersion() {
        return flavor().version();
    }

    /** The flavor detected from the server's version (unsupported versions are rejected here). */
    public synchronized Flavor flavor() {
        if (flavor == null) {
            flavor = Flavor.detect(queryString("SELECT VERSION()").orElse(""));
        }
        return flavor;
    }

    // ---- writes on/off -------------------------------------------------------------------------

    /**
     * Turns writes off or on for ordinary accounts. Accounts with READ ONLY ADMIN (MariaDB 10.11: root,
     * the agent) or SUPER (MySQL, unless super_read_only) still write, so fencing is
     * {@code readOnly(true)} followed by {@link #killClientConnections()}.
     */
    public synchronized void readOnly(boolean readOnly) {
        for (String sql : flavor().setReadOnly(readOnly)) {
            execute(sql);
        }
    }

    /**
     * Self-fencing: writes off, then every client session killed (sparing replication, the server's own
     * threads, this connection and {@code sparedUsers}), so no session that began while writable can
     * commit afterwards. Returns how many sessions were killed.
     */
    public synchronized int fence(Set<String> sparedUsers) {
        readOnly(true);
        int killed = killClientConnections(sparedUsers);
        LOG.info("Fenced {}: read-only, {} client session(s) killed", target, killed);
        return killed;
    }

    public synchronized boolean isReadOnly() {
        return queryLong(flavor().readOnlyQuery()) == 1;
    }

    /** Kills every client connection except this one, the server's own threads and replication threads; returns how many. */
    public synchronized int killClientConnections() {
        return killClientConnections(Set.of());
    }

    /**
     * As {@link #killClientConnections()}, also sparing connections of the named accounts (e.g. the monitor). Goes on
     * past a session it cannot kill (logged with the first error): one stubborn session must not leave the rest alive.
     */
    public synchronized int killClientConnections(Set<String> sparedUsers) {
        List<Map<String, String>> rows = queryRows("SELECT ID, USER, COMMAND FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID()");
        int killed = 0;
        int failed = 0;
        DatabaseException firstFailure = null;
        for (Map<String, String> row : rows) {
            String user = row.getOrDefault("USER", "");
            if (SERVER_COMMANDS.contains(row.get("COMMAND")) || user.equals("system user") || user.equals("event_scheduler")
                    || user.isEmpty() || sparedUsers.contains(user)) {
                continue;
            }
            try {
                execute("KILL CONNECTION " + Long.parseLong(row.get("ID")));
                killed++;
            } catch (DatabaseException e) {
                if (e.errorCode() != 1094) { // 1094: unknown thread id — it ended by itself meanwhile
                    failed++;
                    firstFailure = firstFailure == null ? e : firstFailure;
                }
            }
        }
        if (killed > 0) {
            LOG.info("Killed {} client connection(s) on {}", killed, target);
        }
        if (failed > 0) {
            LOG.warn("Could not kill {} client connection(s) on {} (first: {}); the others were killed", failed, target,
                    firstFailure.getMessage());
        }
        return killed;
    }

    /**
     * Client sessions whose commit has waited at least {@code atLeast} for a semi-synchronous acknowledgement (the
     * transaction is in the binlog, not yet committed in the engine). Killing such a session does not abort its
     * transaction: the server stops waiting and commits it, visible to readers though no replica acknowledged it.
     */
    public synchronized int commitsParkedInSemiSyncWait(Duration atLeast) {
        return (int) queryLong("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE STATE LIKE '%semi-sync%'"
                + " AND TIME_MS >= " + atLeast.toMillis());
    }

    /**
     * One attempt at {@code SET GLOBAL read_only=ON} that does not queue: it fails at once (error 1205) when a commit
     * holds the lock it needs — a commit parked in the semi-synchronous wait holds it until a replica acknowledges or
     * the semi-sync timeout passes, and a waiting {@code read_only} blocks every later commit meanwhile. Callers kill
     * client sessions and try again.
     *
     * @return true when the server is now read-only, false when the lock was busy
     */
    public synchronized boolean tryReadOnly() {
        try {
            for (String sql : flavor().setReadOnly(true)) {
                // lock_wait_timeout=0: no wait for the global read lock. One statement, so a reconnect cannot lose it.
                execute(flavor() instanceof MariaDbFlavor ? "SET STATEMENT lock_wait_timeout=0 FOR " + sql : sql);
            }
            return true;
        } catch (DatabaseException e) {
            if (e.errorCode() == 1205) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Checks the persistent connection with one round trip bounded by {@code timeout} and drops it when it is dead
     * (killed by {@code wait_timeout}, a server restart), so the next call opens a fresh one instead of spending its
     * first attempt on a broken socket. True when the connection answered.
     */
    public synchronized boolean revalidate(Duration timeout) {
        try {
            if (connection != null && !connection.isClosed()
                    && connection.isValid((int) Math.max(1, (timeout.toMillis() + 999) / 1000))) {
                return true;
            }
        } catch (SQLException e) {
            // treated as dead below
        }
        closeConnection();
        return false;
    }

    // ---- positions -----------------------------------------------------------------------------

    /** Everything this server has executed, in its flavor's form (MariaDB gtid_current_pos, MySQL gtid_executed). */
    public synchronized ReplicationPosition position() {
        return flavor().parsePosition(queryString(flavor().executedPositionQuery()).orElse(""));
    }

    /** MariaDB {@code gtid_current_pos}. */
    public synchronized GtidPosition gtidPosition() {
        return mariaDb().parsePosition(queryString("SELECT @@GLOBAL.gtid_current_pos").orElse(""));
    }

    /** MariaDB {@code gtid_binlog_pos}: the last GTID per domain in this server's binlog. */
    public synchronized GtidPosition gtidBinlogPosition() {
        return mariaDb().parsePosition(queryString("SELECT @@GLOBAL.gtid_binlog_pos").orElse(""));
    }

    /** MariaDB {@code gtid_binlog_state}: the last GTID per (domain, server id) in this server's binlog. */
    public synchronized GtidPosition gtidBinlogState() {
        return mariaDb().parsePosition(queryString("SELECT @@GLOBAL.gtid_binlog_state").orElse(""));
    }

    /** MariaDB {@code gtid_slave_pos}: the last GTID applied by replication (or set after a restore). */
    public synchronized GtidPosition gtidSlavePosition() {
        return mariaDb().parsePosition(queryString("SELECT @@GLOBAL.gtid_slave_pos").orElse(""));
    }

    /** {@code read_only} and the MariaDB GTID positions of one reading: see {@link #globalState()}. */
    public record GlobalState(boolean readOnly, GtidPosition current, GtidPosition binlogState, GtidPosition slavePosition) {
    }

    /**
     * {@code read_only}, {@code gtid_current_pos}, {@code gtid_binlog_state} and {@code gtid_slave_pos} in one
     * statement: the HA loop reads them twice a second, and four round trips each time were most of its database
     * reading's cost, in the agent and in {@code mariadbd} (issue 14 §1).
     */
    public synchronized GlobalState globalState() {
        MariaDbFlavor m = mariaDb();
        List<Map<String, String>> rows = queryRows("SELECT @@GLOBAL.read_only AS ro, @@GLOBAL.gtid_current_pos AS cur,"
                + " @@GLOBAL.gtid_binlog_state AS bs, @@GLOBAL.gtid_slave_pos AS sp");
        if (rows.isEmpty()) {
            throw new DatabaseException("query on " + target + " returned no row: read_only and the GTID positions", 0, null);
        }
        Map<String, String> r = rows.getFirst();
        return new GlobalState("1".equals(orEmpty(r.get("ro")).strip()), m.parsePosition(orEmpty(r.get("cur"))),
                m.parsePosition(orEmpty(r.get("bs"))), m.parsePosition(orEmpty(r.get("sp"))));
    }

    private static String orEmpty(String value) {
        return value == null ? "" : value;
    }

    /**
     * What this server knows it has: binlog state merged with the slave position — the primary's side
     * of {@link dev.autopilot.mysql.gtid.ErrantTransactions#find(GtidPosition, GtidPosition)}.
     */
    public synchronized GtidPosition knownGtids() {
        return gtidBinlogState().merge(gtidSlavePosition());
    }

    /**
     * Declares the position of restored data, so replication resumes right after it (MariaDB
     * {@code SET GLOBAL gtid_slave_pos}). Replication must be stopped; this method stops it first.
     */
    public synchronized void setGtidSlavePos(GtidPosition position) {
        setExecutedPosition(position);
    }

    /** Flavor-neutral form of {@link #setGtidSlavePos} (MySQL: RESET MASTER + gtid_purged). */
    public synchronized void setExecutedPosition(ReplicationPosition position) {
        execute(flavor().stopReplica());
        for (String sql : flavor().setExecutedPosition(position)) {
            execute(sql);
        }
        LOG.info("Set executed GTID position of {} to {}", target, position);
    }

    // ---- replication control -------------------------------------------------------------------

    /** One reading of the replica threads; {@link ReplicationStatus#notConfigured()} on a server that replicates from nobody. */
    public synchronized ReplicationStatus replicationStatus() {
        List<Map<String, String>> rows = queryRows(flavor().replicaStatusQuery());
        return rows.isEmpty() ? ReplicationStatus.notConfigured() : flavor().readReplicaStatus(rows.getFirst());
    }

    /** Points replication at a primary with GTID auto-positioning; stops replication first, does not start it. */
    public synchronized void changePrimary(ReplicationSource source) {
        execute(flavor().stopReplica());
        execute(flavor().changeSource(source), "CHANGE MASTER TO " + source + " (password hidden)");
        LOG.info("{} now replicates from {}", target, source);
    }

    /** {@link #changePrimary(ReplicationSource)} with 1 s connect retry and heartbeat. */
    public synchronized void changePrimary(String host, int port, Credentials credentials) {
        changePrimary(ReplicationSource.of(host, port, credentials));
    }

    public synchronized void startReplica() {
        execute(flavor().startReplica());
    }

    public synchronized void stopReplica() {
        execute(flavor().stopReplica());
    }

    /** Stops only the receiver, leaving the applier to finish the relay log (first step of a promotion). */
    public synchronized void stopReceiver() {
        execute(flavor().stopReceiver());
    }

    /** Stops replication and forgets the source entirely (the server is about to become a primary). */
    public synchronized void resetReplica() {
        execute(flavor().stopReplica());
        execute(flavor().resetReplica());
    }

    /**
     * Waits until the applier has executed everything the receiver fetched — the promoted replica must
     * apply its whole relay log before it opens writes.
     *
     * @return true when applied (or the server replicates from nobody), false when the deadline passed
     * @throws DatabaseException when the applier has stopped (on an error or by hand), so it never will
     */
    public synchronized boolean waitForRelayLogApplied(Duration deadline) {
        Instant until = Instant.now().plus(deadline);
        while (true) {
            ReplicationStatus status = replicationStatus();
            if (!status.configured()) {
                return true;
            }
            ReplicationPosition received = flavor().parsePosition(status.receivedPosition());
            ReplicationPosition applied = flavor().parsePosition(queryString(flavor().replicaPositionQuery()).orElse(""));
            if (applied.includes(received)) {
                return true;
            }
            if (!status.sqlRunning()) {
                throw new DatabaseException("relay log of " + target + " cannot be applied: the SQL thread is stopped"
                        + (status.lastSqlErrno() != 0 ? " with error " + status.lastSqlErrno() + ": " + status.lastSqlError() : "")
                        + "; applied " + applied.format() + ", received " + received.format(), status.lastSqlErrno(), null);
            }
            Duration left = Duration.between(Instant.now(), until);
            if (left.isNegative() || left.isZero()) {
                return false;
            }
            Duration slice = left.compareTo(Duration.ofSeconds(1)) < 0 ? left : Duration.ofSeconds(1);
            waitForGtid(received, slice);
        }
    }

    /**
     * Blocks until this server has executed {@code position} (MASTER_GTID_WAIT / WAIT_FOR_EXECUTED_GTID_SET).
     *
     * @return true when reached, false when {@code timeout} passed first
     */
    public synchronized boolean waitForGtid(ReplicationPosition position, Duration timeout) {
        if (position.isEmpty()) {
            return true;
        }
        String sql = flavor().waitForPosition(position, timeout);
        Duration network = timeout.plus(target.queryTimeout());
        return flavor().waitReached(call(sql, network, st -> {
            try (ResultSet rs = st.executeQuery(sql)) {
                rs.next();
                return rs.getLong(1);
            }
        }));
    }

    /** Semi-synchronous replication on a primary (AFTER_SYNC); {@code timeout} bounds how long a commit waits for an ack. */
    public synchronized void semiSyncPrimary(boolean enabled, Duration timeout) {
        for (String sql : flavor().semiSyncPrimary(enabled, timeout)) {
            execute(sql);
        }
    }

    /** Semi-synchronous acknowledgement on a replica; restarts a running receiver so it takes effect. */
    public synchronized void semiSyncReplica(boolean enabled) {
        for (String sql : flavor().semiSyncReplica(enabled)) {
            execute(sql);
        }
        if (replicationStatus().io() != ReplicationStatus.IoState.STOPPED) {
            execute(flavor().stopReceiver());
            execute(flavor() instanceof MariaDbFlavor ? "START SLAVE IO_THREAD" : "START REPLICA IO_THREAD");
        }
    }

    // ---- plain SQL -----------------------------------------------------------------------------

    /** Runs one statement under the query timeout. */
    public synchronized void execute(String sql) {
        execute(sql, sql);
    }

    private void execute(String sql, String shownAs) {
        callShown(sql, shownAs, target.queryTimeout(), st -> {
            st.execute(sql);
            return null;
        });
    }

    /**
     * Runs statements that must stay on this server: binary logging is off for them ({@code sql_log_bin=0}), so they
     * are never replicated and never carry a GTID of this server (on a replica that would be an errant transaction).
     * One session, not re-opened midway; logging is on again for the session afterwards, and a session that failed
     * midway is closed, so the setting cannot leak into later calls.
     */
    public synchronized void executeUnlogged(List<String> statements) {
        List<String> all = new ArrayList<>();
        all.add("SET SESSION sql_log_bin=0");
        all.addAll(statements);
        all.add("SET SESSION sql_log_bin=1");
        executeInOneSession(all, sql -> sql.length() > 120 ? sql.substring(0, 120) + "..." : sql);
    }

    /**
     * Runs statements on the current session WITHOUT reconnecting: when the connection breaks midway the
     * call fails instead of continuing on a fresh session that lost session settings (such as
     * {@code sql_log_bin=0}). On any failure the session is closed, so its settings cannot leak into
     * later calls. Messages show {@code shownAs}, not the statement.
     */
    synchronized void executeInOneSession(List<String> statements, java.util.function.Function<String, String> shownAs) {
        try {
            Connection c = connection();
            c.setNetworkTimeout(Runnable::run, (int) Math.min(Integer.MAX_VALUE, target.queryTimeout().toMillis()));
            try (Statement st = c.createStatement()) {
                for (String sql : statements) {
                    try {
                        st.execute(sql);
                    } catch (SQLException e) {
                        closeConnection(); // drop the session with whatever session settings it had
                        throw new DatabaseException("on " + target + ": " + shownAs.apply(sql) + ": error " + e.getErrorCode()
                                + " (SQLSTATE " + e.getSQLState() + ")", e.getErrorCode(), null);
                    }
                }
            }
        } catch (SQLException e) {
            closeConnection();
            throw new DatabaseException("on " + target + ": cannot open a session: " + e.getMessage(), e.getErrorCode(), e);
        }
    }

    /** First column of the first row, as text; empty when there is no row or it is NULL. */
    public synchronized Optional<String> queryString(String sql) {
        return Optional.ofNullable(call(sql, target.queryTimeout(), st -> {
            try (ResultSet rs = st.executeQuery(sql)) {
                return rs.next() ? rs.getString(1) : null;
            }
        }));
    }

    /** First column of the first row as a number. */
    public synchronized long queryLong(String sql) {
        return Long.parseLong(queryString(sql).orElseThrow(() ->
                new DatabaseException("query on " + target + " returned no value: " + sql, 0, null)).strip());
    }

    /** Every row, keyed by column label. */
    public synchronized List<Map<String, String>> queryRows(String sql) {
        return call(sql, target.queryTimeout(), st -> {
            try (ResultSet rs = st.executeQuery(sql)) {
                ResultSetMetaData md = rs.getMetaData();
                List<Map<String, String>> rows = new ArrayList<>();
                while (rs.next()) {
                    Map<String, String> row = new HashMap<>();
                    for (int i = 1; i <= md.getColumnCount(); i++) {
                        row.put(md.getColumnLabel(i), rs.getString(i));
                    }
                    rows.add(row);
                }
                return rows;
            }
        });
    }

    @Override
    public synchronized void close() {
        closeConnection();
    }

    // ---- connection handling -------------------------------------------------------------------

    @FunctionalInterface
    private interface Work<T> {
        T run(Statement st) throws SQLException;
    }

    private <T> T call(String sql, Duration timeout, Work<T> work) {
        return callShown(sql, sql, timeout, work);
    }

    private <T> T callShown(String sql, String shownAs, Duration timeout, Work<T> work) {
        for (int attempt = 1; ; attempt++) {
            try {
                Connection c = connection();
                c.setNetworkTimeout(Runnable::run, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
                try (Statement st = c.createStatement()) {
                    T result = work.run(st);
                    if (lostLogged) {
                        LOG.info("Connection to {} is back", target);
                        lostLogged = false;
                    }
                    return result;
                }
            } catch (SQLException e) {
                boolean broken = isConnectionFailure(e);
                if (broken) {
                    closeConnection();
                    if (!lostLogged) {
                        LOG.warn("Connection to {} failed ({}); will reconnect on the next call", target, e.getMessage());
                        lostLogged = true;
                    }
                }
                if (broken && attempt == 1) {
                    continue;
                }
                throw new DatabaseException("on " + target + ": " + shownAs + ": " + e.getMessage(), e.getErrorCode(), e);
            }
        }
    }

    private boolean isConnectionFailure(SQLException e) {
        if (e instanceof SQLNonTransientConnectionException || e instanceof SQLTransientConnectionException) {
            return true;
        }
        String state = e.getSQLState();
        if (state != null && state.startsWith("08")) {
            return true;
        }
        try {
            return connection == null || connection.isClosed();
        } catch (SQLException ignored) {
            return true;
        }
    }

    private Connection connection() throws SQLException {
        if (connection == null || connection.isClosed()) {
            connection = DriverManager.getConnection(target.jdbcUrl(), target.properties());
        }
        return connection;
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // already broken; nothing to release
            }
            connection = null;
        }
    }

    private MariaDbFlavor mariaDb() {
        if (flavor() instanceof MariaDbFlavor m) {
            return m;
        }
        throw new UnsupportedOperationException(target + " is " + flavor().version() + ": gtid_* positions are MariaDB's; use position()");
    }
}
