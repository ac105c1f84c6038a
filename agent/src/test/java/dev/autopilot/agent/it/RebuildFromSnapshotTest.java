package dev.autopilot.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.autopilot.agent.cluster.ClusterStore;
import dev.autopilot.agent.cluster.SwitchoverRequest;
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
 * A member rebuilt from a snapshot that is older than transactions it wrote itself as primary gets every one of them
 * back by replication. The new primary's binlog holds those transactions under the old primary's {@code server_id},
 * and MariaDB's receiver silently drops events that carry its own {@code server_id}; so the rebuilt copy must run
 * under a new one. Before it did, the copy missed the table created after the snapshot and stopped at the next row
 * written to it (error 1146), as {@code LocalClusterTest} once saw in CI.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class RebuildFromSnapshotTest {

    @Test
    void anOldPrimaryRebuiltFromAnOlderSnapshotGetsBackEveryTransactionItWroteAfterTheSnapshot() throws Exception {
        Path root = TestCluster.tempRoot("RebuildFromSnapshotTest");
        try (TestCluster cluster = new TestCluster("rebuild", "127.0.21", root)
                .withEnv("AUTOPILOT_BACKUP_DIRECTORY", Files.createDirectories(root.resolve("objects")).toString())
                .withEnv("AUTOPILOT_BACKUP_INTERVAL", "1h")) {
            cluster.assemble(2);
            AgentNode old = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(10));
            AgentNode next = cluster.nodes().stream().filter(n -> n != old).findFirst().orElseThrow();
            Scenarios.execute(old, "INSERT INTO w VALUES (1, 1), (2, 2)");
            Scenarios.takeSnapshot(cluster, old);

            // Written by the old primary after the snapshot: only replication from the new primary can bring these back.
            Scenarios.execute(old, "CREATE TABLE later (id BIGINT PRIMARY KEY, origin VARCHAR(40))",
                    "INSERT INTO later VALUES (1, 'old primary'), (2, 'old primary')", "INSERT INTO w VALUES (3, 3)");
            long laterOnOld = cluster.checksum(old, "app.later");
            await(next.name + " has the old primary's writes").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> cluster.checksum(next, "app.later") == laterOnOld);

            cluster.store.put(ClusterStore.SWITCHOVER, ClusterStore.encode(
                    new SwitchoverRequest(old.name, next.name, System.currentTimeMillis(), "")));
            Scenarios.awaitNewPrimary(cluster, old.name, Duration.ofSeconds(15));
            Scenarios.awaitReplica(cluster, old.name, Duration.ofSeconds(30));
            Scenarios.execute(next, "INSERT INTO later VALUES (3, 'new primary')", "INSERT INTO w VALUES (4, 4)");

            // The old primary diverges (a transaction the cluster never sees), so its agent rebuilds it.
            old.crash();
            await("the crashed member left the replica service").atMost(Duration.ofSeconds(15))
                    .until(() -> !cluster.healthy("replica").contains(old.name));
            Scenarios.writeBehindTheAgentsBack(old, "INSERT INTO app.w VALUES (-42, 0)");
            old.start();
            await(old.name + " rebuilt").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(old.logContains("moved diverged data directory")).as(old.logTail(30)).isTrue());
            Scenarios.awaitReplica(cluster, old.name, Duration.ofSeconds(90));
            assertThat(old.logContains("provisioning from the newest snapshot")).as("rebuilt from the snapshot").isTrue();
            assertThat(old.logContains("provisioning by live clone")).as("no live clone needed").isFalse();

            Scenarios.execute(next, "INSERT INTO later VALUES (4, 'after the rebuild')", "INSERT INTO w VALUES (5, 5)");
            long later = cluster.checksum(next, "app.later");
            long w = cluster.checksum(next, "app.w");
            await(old.name + " holds every row the primary holds").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .untilAsserted(() -> {
                        String replication = replicationState(old);
                        assertThat(cluster.checksum(old, "app.later")).as("CHECKSUM TABLE app.later; " + replication).isEqualTo(later);
                        assertThat(cluster.checksum(old, "app.w")).as("CHECKSUM TABLE app.w; " + replication).isEqualTo(w);
                    });
            assertThat(Scenarios.ids(old, "app.later")).containsExactly(1L, 2L, 3L, 4L);
            assertThat(Scenarios.ids(old, "app.w")).containsExactly(1L, 2L, 3L, 4L, 5L);
            assertThat(old.logContains("new server_id")).as("the copy runs under a new server_id").isTrue();
        }
    }



    /** The replica's errors and position, for failure messages. */
    private static String replicationState(AgentNode node) {
        try (Connection c = node.rootConnection(TestCluster.ROOT_PASSWORD); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SHOW SLAVE STATUS")) {
            if (!rs.next()) {
                return node.name + " does not replicate";
            }
            return node.name + " replication: SQL error " + rs.getInt("Last_SQL_Errno") + " " + rs.getString("Last_SQL_Error")
                    + ", IO error " + rs.getInt("Last_IO_Errno") + ", Gtid_IO_Pos " + rs.getString("Gtid_IO_Pos")
                    + ", @@server_id " + serverId(c);
        } catch (SQLException e) {
            return node.name + " replication status unreadable: " + e.getMessage();
        }
    }

    private static long serverId(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT @@server_id")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
