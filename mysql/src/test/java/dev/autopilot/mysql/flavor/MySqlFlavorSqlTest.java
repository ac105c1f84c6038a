package dev.autopilot.mysql.flavor;

import dev.autopilot.mysql.auth.Credentials;
import dev.autopilot.mysql.gtid.GtidSet;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The MySQL flavor is verified on the SQL text it issues; no live MySQL runs in this project's tests. */
class MySqlFlavorSqlTest {

    static final String UUID = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    final Flavor flavor = Flavor.detect("8.0.36");

    @Test
    void changeSourceUsesAutoPosition() {
        assertThat(flavor.changeSource(ReplicationSource.of("db1", 3306, Credentials.of("repl", "pw"))))
                .isEqualTo("CHANGE REPLICATION SOURCE TO SOURCE_HOST='db1', SOURCE_PORT=3306, SOURCE_USER='repl',"
                        + " SOURCE_PASSWORD='pw', SOURCE_AUTO_POSITION=1, SOURCE_CONNECT_RETRY=1, SOURCE_HEARTBEAT_PERIOD=1,"
                        + " GET_SOURCE_PUBLIC_KEY=1");
    }

    @Test
    void withTlsTheSourceIsVerifiedAndItsKeyNeverFetchedUnverified() {
        assertThat(flavor.changeSource(ReplicationSource.of("db1", 3306, Credentials.of("repl", "pw"))
                .withTls(java.util.Optional.of(java.nio.file.Path.of("/tls/ca.pem")))))
                .endsWith(", SOURCE_SSL=1, SOURCE_SSL_CA='/tls/ca.pem', SOURCE_SSL_VERIFY_SERVER_CERT=1")
                .doesNotContain("GET_SOURCE_PUBLIC_KEY");
    }

    @Test
    void replicaStatements() {
        assertThat(flavor.startReplica()).isEqualTo("START REPLICA");
        assertThat(flavor.stopReplica()).isEqualTo("STOP REPLICA");
        assertThat(flavor.stopReceiver()).isEqualTo("STOP REPLICA IO_THREAD");
        assertThat(flavor.resetReplica()).isEqualTo("RESET REPLICA ALL");
        assertThat(flavor.replicaStatusQuery()).isEqualTo("SHOW REPLICA STATUS");
        assertThat(flavor.executedPositionQuery()).isEqualTo("SELECT @@GLOBAL.gtid_executed");
    }

    @Test
    void readOnlyUsesSuperReadOnly() {
        assertThat(flavor.setReadOnly(true)).containsExactly("SET GLOBAL super_read_only=ON");
        assertThat(flavor.setReadOnly(false)).containsExactly("SET GLOBAL super_read_only=OFF", "SET GLOBAL read_only=OFF");
    }

    @Test
    void restoredPositionGoesToGtidPurged() {
        GtidSet set = GtidSet.parse(UUID + ":1-100");
        assertThat(flavor.setExecutedPosition(set)).containsExactly("RESET MASTER", "SET GLOBAL gtid_purged='" + UUID + ":1-100'");
        assertThat(Flavor.detect("8.4.2").setExecutedPosition(set)).first().isEqualTo("RESET BINARY LOGS AND GTIDS");
        assertThat(flavor.waitForPosition(set, Duration.ofSeconds(3)))
                .isEqualTo("SELECT WAIT_FOR_EXECUTED_GTID_SET('" + UUID + ":1-100', 3)");
        assertThat(flavor.waitReached(0)).isTrue();
        assertThat(flavor.waitReached(1)).isFalse();
    }

    @Test
    void semiSyncUsesSourceReplicaVariables() {
        assertThat(flavor.semiSyncPrimary(true, Duration.ofSeconds(5))).containsExactly(
                "SET GLOBAL rpl_semi_sync_source_wait_point='AFTER_SYNC'",
                "SET GLOBAL rpl_semi_sync_source_timeout=5000",
                "SET GLOBAL rpl_semi_sync_source_enabled=ON");
        assertThat(flavor.semiSyncReplica(false)).containsExactly("SET GLOBAL rpl_semi_sync_replica_enabled=OFF");
    }

    @Test
    void readsReplicaStatusColumns() {
        ReplicationStatus s = flavor.readReplicaStatus(Map.of("Replica_IO_Running", "Yes", "Replica_SQL_Running", "No",
                "Seconds_Behind_Source", "", "Source_Host", "db1", "Source_Port", "3306",
                "Retrieved_Gtid_Set", UUID + ":1-5,\n" + UUID + ":7", "Last_SQL_Errno", "1032", "Last_SQL_Error", "Can't find record"));
        assertThat(s.ioRunning()).isTrue();
        assertThat(s.sqlFailed()).isTrue();
        assertThat(s.secondsBehind()).isEmpty();
        assertThat(flavor.parsePosition(s.receivedPosition()).format()).isEqualTo(UUID + ":1-5:7");
    }
}
