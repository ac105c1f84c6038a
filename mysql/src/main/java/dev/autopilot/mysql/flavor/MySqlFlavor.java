package dev.autopilot.mysql.flavor;

import dev.autopilot.mysql.gtid.GtidSet;
import dev.autopilot.mysql.gtid.ReplicationPosition;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * MySQL / Percona Server 8.0.26+: UUID GTID sets, {@code SOURCE_AUTO_POSITION=1}, the semisync_source
 * plugin. Verified on its SQL text only; not run against a live MySQL in this project's tests.
 */
public record MySqlFlavor(ServerVersion version) implements Flavor {

    @Override
    public String executedPositionQuery() {
        return "SELECT @@GLOBAL.gtid_executed";
    }

    @Override
    public String binlogStateQuery() {
        return "SELECT @@GLOBAL.gtid_executed";
    }

    @Override
    public String replicaPositionQuery() {
        return "SELECT @@GLOBAL.gtid_executed";
    }

    @Override
    public GtidSet parsePosition(String text) {
        return GtidSet.parse(text == null ? "" : text);
    }

    @Override
    public String changeSource(ReplicationSource s) {
        return "CHANGE REPLICATION SOURCE TO SOURCE_HOST=" + Sql.literal(s.host())
                + ", SOURCE_PORT=" + s.port()
                + ", SOURCE_USER=" + Sql.literal(s.credentials().user())
                + ", SOURCE_PASSWORD=" + Sql.literal(s.credentials().password().reveal())
                + ", SOURCE_AUTO_POSITION=1"
                + ", SOURCE_CONNECT_RETRY=" + s.connectRetry().toSeconds()
                + ", SOURCE_HEARTBEAT_PERIOD=" + MariaDbFlavor.seconds(s.heartbeat())
                + s.tlsCa().map(ca -> ", SOURCE_SSL=1, SOURCE_SSL_CA=" + Sql.literal(ca.toString()) + ", SOURCE_SSL_VERIFY_SERVER_CERT=1")
                        // caching_sha2_password over a plain connection needs the server's RSA key, fetched unverified.
                        .orElse(", GET_SOURCE_PUBLIC_KEY=1");
    }

    @Override
    public String startReplica() {
        return "START REPLICA";
    }

    @Override
    public String stopReplica() {
        return "STOP REPLICA";
    }

    @Override
    public String stopReceiver() {
        return "STOP REPLICA IO_THREAD";
    }

    @Override
    public String resetReplica() {
        return "RESET REPLICA ALL";
    }

    @Override
    public String replicaStatusQuery() {
        return "SHOW REPLICA STATUS";
    }

    @Override
    public ReplicationStatus readReplicaStatus(Map<String, String> row) {
        return MariaDbFlavor.StatusColumns.read(row, "Replica_IO_Running", "Replica_SQL_Running", "Seconds_Behind_Source",
                "Source_Host", "Source_Port", "Retrieved_Gtid_Set", "Replica_SQL_Running_State", "Source_Log_File", "Read_Source_Log_Pos");
    }

    @Override
    public List<String> setReadOnly(boolean readOnly) {
        // super_read_only also stops SUPER/CONNECTION_ADMIN accounts; turning it off leaves read_only on, so clear both.
        return readOnly ? List.of("SET GLOBAL super_read_only=ON")
                : List.of("SET GLOBAL super_read_only=OFF", "SET GLOBAL read_only=OFF");
    }

    @Override
    public String readOnlyQuery() {
        return "SELECT @@GLOBAL.read_only";
    }

    @Override
    public List<String> setExecutedPosition(ReplicationPosition position) {
        String reset = version.atLeast(8, 4) ? "RESET BINARY LOGS AND GTIDS" : "RESET MASTER";
        return List.of(reset, "SET GLOBAL gtid_purged=" + Sql.literal(((GtidSet) position).format()));
    }

    @Override
    public String waitForPosition(ReplicationPosition position, Duration timeout) {
        return "SELECT WAIT_FOR_EXECUTED_GTID_SET(" + Sql.literal(((GtidSet) position).format()) + ", "
                + MariaDbFlavor.seconds(timeout) + ")";
    }

    @Override
    public boolean waitReached(long result) {
        return result == 0; // 1 = timeout
    }

    @Override
    public List<String> semiSyncPrimary(boolean enabled, Duration timeout) {
        if (!enabled) {
            return List.of("SET GLOBAL rpl_semi_sync_source_enabled=OFF");
        }
        return List.of("SET GLOBAL rpl_semi_sync_source_wait_point='AFTER_SYNC'",
                "SET GLOBAL rpl_semi_sync_source_timeout=" + timeout.toMillis(),
                "SET GLOBAL rpl_semi_sync_source_enabled=ON");
    }

    @Override
    public List<String> semiSyncReplica(boolean enabled) {
        return List.of("SET GLOBAL rpl_semi_sync_replica_enabled=" + (enabled ? "ON" : "OFF"));
    }
}
