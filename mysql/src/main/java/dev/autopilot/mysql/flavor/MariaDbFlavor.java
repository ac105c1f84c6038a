package dev.autopilot.mysql.flavor;

import dev.autopilot.mysql.gtid.GtidPosition;
import dev.autopilot.mysql.gtid.ReplicationPosition;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** MariaDB 10.5+: domain-server-sequence GTIDs, {@code MASTER_USE_GTID=slave_pos}, built-in semi-sync. */
public record MariaDbFlavor(ServerVersion version) implements Flavor {

    @Override
    public String executedPositionQuery() {
        return "SELECT @@GLOBAL.gtid_current_pos";
    }

    @Override
    public String binlogStateQuery() {
        return "SELECT @@GLOBAL.gtid_binlog_state";
    }

    @Override
    public String replicaPositionQuery() {
        return "SELECT @@GLOBAL.gtid_slave_pos";
    }

    @Override
    public GtidPosition parsePosition(String text) {
        return GtidPosition.parse(text == null ? "" : text);
    }

    @Override
    public String changeSource(ReplicationSource s) {
        return "CHANGE MASTER TO MASTER_HOST=" + Sql.literal(s.host())
                + ", MASTER_PORT=" + s.port()
                + ", MASTER_USER=" + Sql.literal(s.credentials().user())
                + ", MASTER_PASSWORD=" + Sql.literal(s.credentials().password().reveal())
                + ", MASTER_USE_GTID=slave_pos"
                + ", MASTER_CONNECT_RETRY=" + s.connectRetry().toSeconds()
                + ", MASTER_HEARTBEAT_PERIOD=" + seconds(s.heartbeat())
                + s.tlsCa().map(ca -> ", MASTER_SSL=1, MASTER_SSL_CA=" + Sql.literal(ca.toString())
                        + ", MASTER_SSL_VERIFY_SERVER_CERT=1").orElse("");
    }

    @Override
    public String startReplica() {
        return "START SLAVE";
    }

    @Override
    public String stopReplica() {
        return "STOP SLAVE";
    }

    @Override
    public String stopReceiver() {
        return "STOP SLAVE IO_THREAD";
    }

    @Override
    public String resetReplica() {
        return "RESET SLAVE ALL";
    }

    @Override
    public String replicaStatusQuery() {
        return "SHOW SLAVE STATUS";
    }

    @Override
    public ReplicationStatus readReplicaStatus(Map<String, String> row) {
        return StatusColumns.read(row, "Slave_IO_Running", "Slave_SQL_Running", "Seconds_Behind_Master",
                "Master_Host", "Master_Port", "Gtid_IO_Pos", "Slave_SQL_Running_State", "Master_Log_File", "Read_Master_Log_Pos");
    }

    @Override
    public List<String> setReadOnly(boolean readOnly) {
        // Since 10.11 SUPER no longer bypasses read_only; only READ ONLY ADMIN does (root, the agent).
        return List.of("SET GLOBAL read_only=" + (readOnly ? "ON" : "OFF"));
    }

    @Override
    public String readOnlyQuery() {
        return "SELECT @@GLOBAL.read_only";
    }

    @Override
    public List<String> setExecutedPosition(ReplicationPosition position) {
        GtidPosition p = (GtidPosition) position;
        return List.of("SET GLOBAL gtid_slave_pos=" + Sql.literal(p.perDomain().format()));
    }

    @Override
    public String waitForPosition(ReplicationPosition position, Duration timeout) {
        return "SELECT MASTER_GTID_WAIT(" + Sql.literal(((GtidPosition) position).perDomain().format()) + ", " + seconds(timeout) + ")";
    }

    @Override
    public boolean waitReached(long result) {
        return result == 0; // -1 = timeout
    }

    @Override
    public List<String> semiSyncPrimary(boolean enabled, Duration timeout) {
        if (!enabled) {
            return List.of("SET GLOBAL rpl_semi_sync_master_enabled=OFF");
        }
        return List.of("SET GLOBAL rpl_semi_sync_master_wait_point='AFTER_SYNC'",
                "SET GLOBAL rpl_semi_sync_master_timeout=" + timeout.toMillis(),
                "SET GLOBAL rpl_semi_sync_master_enabled=ON");
    }

    @Override
    public List<String> semiSyncReplica(boolean enabled) {
        return List.of("SET GLOBAL rpl_semi_sync_slave_enabled=" + (enabled ? "ON" : "OFF"));
    }

    static String seconds(Duration d) {
        return java.math.BigDecimal.valueOf(d.toMillis(), 3).stripTrailingZeros().toPlainString();
    }

    /** Shared reading of the status row; column names are passed in because the flavors name them differently. */
    static final class StatusColumns {
        private StatusColumns() {
        }

        static ReplicationStatus read(Map<String, String> row, String io, String sql, String behind, String host,
                                      String port, String received, String sqlState, String sourceFile, String sourceReadPos) {
            String ioText = row.getOrDefault(io, "No");
            ReplicationStatus.IoState ioState = switch (ioText) {
                case "Yes" -> ReplicationStatus.IoState.RUNNING;
                case "Connecting" -> ReplicationStatus.IoState.CONNECTING;
                default -> ReplicationStatus.IoState.STOPPED;
            };
            String lag = row.get(behind);
            return new ReplicationStatus(true, ioState, "Yes".equals(row.get(sql)),
                    intOf(row.get("Last_IO_Errno")), nz(row.get("Last_IO_Error")),
                    intOf(row.get("Last_SQL_Errno")), nz(row.get("Last_SQL_Error")),
                    lag == null || lag.isBlank() ? Optional.empty() : Optional.of(Long.parseLong(lag.strip())),
                    nz(row.get(host)), intOf(row.get(port)), nz(row.get(received)).replaceAll("\\s+", ""), nz(row.get(sqlState)),
                    nz(row.get(sourceFile)) + ":" + nz(row.get(sourceReadPos)));
        }

        private static int intOf(String s) {
            return s == null || s.isBlank() ? 0 : Integer.parseInt(s.strip());
        }

        private static String nz(String s) {
            return s == null ? "" : s;
        }
    }
}
