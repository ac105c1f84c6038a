package dev.autopilot.mysql.flavor;

import dev.autopilot.mysql.auth.Credentials;
import dev.autopilot.mysql.gtid.GtidPosition;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MariaDbFlavorSqlTest {

    final Flavor flavor = Flavor.detect("10.11.19-MariaDB");

    @Test
    void changeSourceUsesSlavePosWithShortRetryAndHeartbeat() {
        var source = new ReplicationSource("127.0.4.10", 3306, Credentials.of("repl", "s3cr'et\\x"),
                Duration.ofSeconds(1), Duration.ofMillis(500));
        assertThat(flavor.changeSource(source)).isEqualTo("CHANGE MASTER TO MASTER_HOST='127.0.4.10', MASTER_PORT=3306,"
                + " MASTER_USER='repl', MASTER_PASSWORD='s3cr''et\\\\x', MASTER_USE_GTID=slave_pos,"
                + " MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=0.5");
        assertThat(source.toString()).doesNotContain("s3cr");
    }

    @Test
    void withTlsReplicationVerifiesThePrimarysCertificateAgainstTheCa() {
        var source = ReplicationSource.of("127.0.4.10", 3306, Credentials.of("repl", "pw")).withTls(Optional.of(Path.of("/etc/autopilot/tls/ca.pem")));
        assertThat(flavor.changeSource(source)).endsWith(", MASTER_SSL=1, MASTER_SSL_CA='/etc/autopilot/tls/ca.pem',"
                + " MASTER_SSL_VERIFY_SERVER_CERT=1");
        assertThatThrownBy(() -> source.withTls(Optional.of(Path.of("/etc/it's/ca.pem")))).hasMessageContaining("cannot carry safely");
    }

    @Test
    void replicaControlStatements() {
        assertThat(flavor.startReplica()).isEqualTo("START SLAVE");
        assertThat(flavor.stopReplica()).isEqualTo("STOP SLAVE");
        assertThat(flavor.stopReceiver()).isEqualTo("STOP SLAVE IO_THREAD");
        assertThat(flavor.resetReplica()).isEqualTo("RESET SLAVE ALL");
        assertThat(flavor.replicaStatusQuery()).isEqualTo("SHOW SLAVE STATUS");
        assertThat(flavor.setReadOnly(true)).containsExactly("SET GLOBAL read_only=ON");
        assertThat(flavor.setReadOnly(false)).containsExactly("SET GLOBAL read_only=OFF");
    }

    @Test
    void positionStatementsUseOneEntryPerDomain() {
        GtidPosition state = GtidPosition.parse("0-1-98,0-2-105");
        assertThat(flavor.setExecutedPosition(state)).containsExactly("SET GLOBAL gtid_slave_pos='0-2-105'");
        assertThat(flavor.waitForPosition(state, Duration.ofMillis(2500))).isEqualTo("SELECT MASTER_GTID_WAIT('0-2-105', 2.5)");
        assertThat(flavor.waitReached(0)).isTrue();
        assertThat(flavor.waitReached(-1)).isFalse();
        assertThat(flavor.executedPositionQuery()).isEqualTo("SELECT @@GLOBAL.gtid_current_pos");
        assertThat(flavor.replicaPositionQuery()).isEqualTo("SELECT @@GLOBAL.gtid_slave_pos");
    }

    @Test
    void semiSyncUsesMasterSlaveVariablesAndAfterSync() {
        assertThat(flavor.semiSyncPrimary(true, Duration.ofSeconds(10))).containsExactly(
                "SET GLOBAL rpl_semi_sync_master_wait_point='AFTER_SYNC'",
                "SET GLOBAL rpl_semi_sync_master_timeout=10000",
                "SET GLOBAL rpl_semi_sync_master_enabled=ON");
        assertThat(flavor.semiSyncPrimary(false, Duration.ofSeconds(1))).containsExactly("SET GLOBAL rpl_semi_sync_master_enabled=OFF");
        assertThat(flavor.semiSyncReplica(true)).containsExactly("SET GLOBAL rpl_semi_sync_slave_enabled=ON");
    }

    @Test
    void readsRunningReplicaStatus() {
        Map<String, String> row = new HashMap<>();
        row.put("Slave_IO_Running", "Yes");
        row.put("Slave_SQL_Running", "Yes");
        row.put("Seconds_Behind_Master", "3");
        row.put("Master_Host", "127.0.4.10");
        row.put("Master_Port", "3306");
        row.put("Gtid_IO_Pos", "0-1-42");
        row.put("Master_Log_File", "binlog.000003");
        row.put("Read_Master_Log_Pos", "123456");
        row.put("Last_IO_Errno", "0");
        row.put("Last_SQL_Errno", "0");
        row.put("Slave_SQL_Running_State", "Slave has read all relay log; waiting for more updates");
        ReplicationStatus s = flavor.readReplicaStatus(row);
        assertThat(s.configured()).isTrue();
        assertThat(s.ioRunning()).isTrue();
        assertThat(s.sqlRunning()).isTrue();
        assertThat(s.secondsBehind()).contains(3L);
        assertThat(s.sourceHost()).isEqualTo("127.0.4.10");
        assertThat(s.sourcePort()).isEqualTo(3306);
        assertThat(s.receivedPosition()).isEqualTo("0-1-42");
        assertThat(s.readSourceAt()).isEqualTo("binlog.000003:123456");
        assertThat(s.sqlCaughtUp()).isTrue();
        assertThat(s.sqlFailed()).isFalse();
    }

    @Test
    void readsBrokenAndConnectingReplicaStatus() {
        Map<String, String> row = new HashMap<>();
        row.put("Slave_IO_Running", "Connecting");
        row.put("Slave_SQL_Running", "No");
        row.put("Seconds_Behind_Master", null);
        row.put("Last_SQL_Errno", "1062");
        row.put("Last_SQL_Error", "Duplicate entry '1' for key 'PRIMARY'");
        ReplicationStatus s = flavor.readReplicaStatus(row);
        assertThat(s.io()).isEqualTo(ReplicationStatus.IoState.CONNECTING);
        assertThat(s.sqlFailed()).isTrue();
        assertThat(s.lastSqlError()).contains("Duplicate entry");
        assertThat(s.secondsBehind()).isEqualTo(Optional.empty());
    }
}
