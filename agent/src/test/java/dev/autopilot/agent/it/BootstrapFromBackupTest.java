package dev.autopilot.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.autopilot.backup.binlog.BinlogArchiver;
import dev.autopilot.mysql.gtid.GtidPosition;
import dev.autopilot.storage.SnapshotStore;
import dev.autopilot.storage.SnapshotStores;
import dev.autopilot.storage.StoreSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A whole new cluster bootstrapped from another cluster's backup ({@code bootstrap.fromBackup: latest}): the old
 * one-member cluster (127.0.19.x) takes a snapshot, writes more, archives its binlog and is shut down; the new
 * two-member cluster (127.0.20.x, its own secrets) restores snapshot plus archive on its first member, the second
 * clones from it, and both hold every row, under the new cluster's root password.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class BootstrapFromBackupTest {
    private static final String NEW_ROOT_PASSWORD = "restored-root-secret-456";

    @Test
    void aNewClusterStartsFromTheSnapshotPlusArchivedBinlogsOfAnOldOneWithItsOwnSecrets() throws Exception {
        Path root = TestCluster.tempRoot("BootstrapFromBackupTest");
        Path oldBackups = Files.createDirectories(root.resolve("old-backups"));
        GtidPosition last;
        try (TestCluster old = new TestCluster("orders", "127.0.19", root.resolve("old"))
                .withEnv("AUTOPILOT_BACKUP_DIRECTORY", oldBackups.toString())
                .withEnv("AUTOPILOT_BACKUP_INTERVAL", "1h")
                .withEnv("AUTOPILOT_BACKUP_ARCHIVE_INTERVAL", "10s")) {
            old.assemble(1);
            AgentNode primary = Scenarios.awaitPrimary(old, Duration.ofSeconds(10));
            insertRows(primary, 1, 50);
            Scenarios.takeSnapshot(old, primary);
            insertRows(primary, 51, 100); // after the snapshot: only the binlog archive has these
            last = GtidPosition.parse(query(primary, TestCluster.ROOT_PASSWORD, "SELECT @@gtid_binlog_pos"));
            try (SnapshotStore store = SnapshotStores.open(new StoreSettings.Directory(oldBackups))) {
                await("the last write archived").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1))
                        .until(() -> BinlogArchiver.list(store).stream().flatMap(b -> b.range().stream())
                                .anyMatch(r -> GtidPosition.of(r.lastGtid()).includes(last)));
            }
        }

        try (TestCluster fresh = new TestCluster("orders-restored", "127.0.20", root.resolve("new"))
                .withEnv("AUTOPILOT_BOOTSTRAP_FROM_BACKUP", "latest")
                .withEnv("AUTOPILOT_BOOTSTRAP_DIRECTORY", oldBackups.toString())
                .withEnv("AUTOPILOT_BACKUP_DIRECTORY", Files.createDirectories(root.resolve("new-backups")).toString())) {
            Files.writeString(fresh.secrets.resolve("root-password"), NEW_ROOT_PASSWORD + "\n");
            fresh.assemble(2);
            AgentNode primary = Scenarios.awaitPrimary(fresh, Duration.ofSeconds(10));
            AgentNode replica = fresh.nodes().stream().filter(n -> !n.name.equals(primary.name)).findFirst().orElseThrow();
            assertThat(primary.logContains("restored snapshot")).as(primary.logTail(40)).isTrue();
            assertThat(replica.logContains("provisioning by live clone")).isTrue();

            assertThat(query(primary, NEW_ROOT_PASSWORD, "SELECT CONCAT(COUNT(*), ':', MIN(id), ':', MAX(id)) FROM app.w"))
                    .as("the snapshot's rows and the archived ones").isEqualTo("100:1:100");
            insertRows(primary, 101, 101);
            GtidPosition now = GtidPosition.parse(query(primary, NEW_ROOT_PASSWORD, "SELECT @@gtid_binlog_pos"));
            assertThat(now.sequenceInDomain(0)).as("new transactions continue the old history's sequence")
                    .hasValueSatisfying(seq -> assertThat(seq).isGreaterThan(last.sequenceInDomain(0).orElseThrow()));
            await("the replica has every row").atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(query(replica, NEW_ROOT_PASSWORD, "SELECT CONCAT(COUNT(*), ':', MIN(id), ':', MAX(id)) FROM app.w"))
                            .isEqualTo("101:1:101"));
            assertThatThrownBy(() -> primary.rootConnection(TestCluster.ROOT_PASSWORD).close())
                    .as("the old cluster's root password no longer works").isInstanceOf(SQLException.class);
        }
    }

    private static void insertRows(AgentNode node, int from, int to) throws SQLException {
        try (Connection c = node.appConnection(); Statement s = c.createStatement()) {
            for (int id = from; id <= to; id++) {
                s.execute("INSERT INTO w VALUES (" + id + ", " + id + ")");
            }
        }
    }

    private static String query(AgentNode node, String rootPassword, String sql) throws SQLException {
        try (Connection c = node.rootConnection(rootPassword); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
