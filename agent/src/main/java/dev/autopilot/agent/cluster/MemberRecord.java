package dev.autopilot.agent.cluster;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * What a member publishes about itself under {@code members/<name>}, refreshed every HA cycle and bound to
 * the agent's registration, so it vanishes when the agent dies. Holds no secrets.
 *
 * @param gtidPosition    everything executed ({@code gtid_current_pos}); compared in elections
 * @param knownGtids      last GTID per (domain, server id) this member holds (binlog state merged with the slave
 *                        position); a returning member compares its binlog with this for errant transactions
 * @param promotable      the database answers and its applier has no error: its data is consistent, so it may be
 *                        promoted even while its replication is down (as it is when the primary has died)
 * @param lagMillis       replication lag, -1 when unknown or not replicating
 * @param replicatingFrom the primary this member's receiver is connected to right now, empty when none (a candidate
 *                        waits briefly for such a peer's final position after the lock is released)
 * @param updatedAtMillis wall-clock time of the reading, for display only (never compared across hosts)
 * @param lastSnapshot    creation time (ISO-8601) of the newest snapshot this member knows of, empty when none
 * @param asyncFallback   a zero-loss primary whose semi-sync fell back to asynchronous replication: writes acknowledged
 *                        now may exist on this member only
 * @param serverId        this member's MariaDB {@code server_id}, the origin of the transactions it writes as primary; 0
 *                        when unknown (a record of an older agent)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record MemberRecord(String name, String address, int mysqlPort, int apiPort, int clonePort, Role role,
                           MemberState state, boolean healthy, boolean promotable, String gtidPosition, String knownGtids,
                           long lagMillis, String serverVersion, String lastError, int priority, boolean noFailover,
                           String replicatingFrom, long updatedAtMillis, String lastSnapshot, boolean asyncFallback,
                           long serverId) {

    public MemberRecord(String name, String address, int mysqlPort, int apiPort, int clonePort, Role role, MemberState state,
                        boolean healthy, boolean promotable, String gtidPosition, String knownGtids, long lagMillis,
                        String serverVersion, String lastError, int priority, boolean noFailover, String replicatingFrom,
                        long updatedAtMillis, String lastSnapshot, boolean asyncFallback) {
        this(name, address, mysqlPort, apiPort, clonePort, role, state, healthy, promotable, gtidPosition, knownGtids, lagMillis,
                serverVersion, lastError, priority, noFailover, replicatingFrom, updatedAtMillis, lastSnapshot, asyncFallback, 0);
    }

    public MemberRecord(String name, String address, int mysqlPort, int apiPort, int clonePort, Role role, MemberState state,
                        boolean healthy, boolean promotable, String gtidPosition, String knownGtids, long lagMillis,
                        String serverVersion, String lastError, int priority, boolean noFailover, String replicatingFrom,
                        long updatedAtMillis, String lastSnapshot) {
        this(name, address, mysqlPort, apiPort, clonePort, role, state, healthy, promotable, gtidPosition, knownGtids, lagMillis,
                serverVersion, lastError, priority, noFailover, replicatingFrom, updatedAtMillis, lastSnapshot, false);
    }

    /** A record without snapshot information (backups not configured). */
    public MemberRecord(String name, String address, int mysqlPort, int apiPort, int clonePort, Role role, MemberState state,
                        boolean healthy, boolean promotable, String gtidPosition, String knownGtids, long lagMillis,
                        String serverVersion, String lastError, int priority, boolean noFailover, String replicatingFrom,
                        long updatedAtMillis) {
        this(name, address, mysqlPort, apiPort, clonePort, role, state, healthy, promotable, gtidPosition, knownGtids, lagMillis,
                serverVersion, lastError, priority, noFailover, replicatingFrom, updatedAtMillis, "");
    }

    public MemberRecord {
        lastSnapshot = lastSnapshot == null ? "" : lastSnapshot;
        gtidPosition = gtidPosition == null ? "" : gtidPosition;
        knownGtids = knownGtids == null ? "" : knownGtids;
        serverVersion = serverVersion == null ? "" : serverVersion;
        lastError = lastError == null ? "" : lastError;
        replicatingFrom = replicatingFrom == null ? "" : replicatingFrom;
    }

    /** The same record with another timestamp. */
    public MemberRecord withUpdatedAt(long millis) {
        return new MemberRecord(name, address, mysqlPort, apiPort, clonePort, role, state, healthy, promotable, gtidPosition, knownGtids,
                lagMillis, serverVersion, lastError, priority, noFailover, replicatingFrom, millis, lastSnapshot, asyncFallback, serverId);
    }

    /** The same record with the newest snapshot's time. */
    public MemberRecord withLastSnapshot(String time) {
        return new MemberRecord(name, address, mysqlPort, apiPort, clonePort, role, state, healthy, promotable, gtidPosition,
                knownGtids, lagMillis, serverVersion, lastError, priority, noFailover, replicatingFrom, updatedAtMillis, time, asyncFallback,
                serverId);
    }

    /** Base URL of the member's REST API. */
    public String apiUrl() {
        return "http://" + address + ":" + apiPort;
    }
}
