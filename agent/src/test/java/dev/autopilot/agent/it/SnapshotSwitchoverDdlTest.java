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
 * Snapshot → switchover → DDL → provision from that snapshot, the sequence after which a rebuilt member once stopped
 * with error 1146 (table missing). Both members that can be provisioned from that snapshot get the DDL: the member
 * that ran it as the new primary, rebuilt from the older snapshot after a switchover back (its own DDL reaches it only
 * because the copy runs under a new {@code server_id}), and a member that joins afterwards.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class SnapshotSwitchoverDdlTest {

    @Test
    void membersProvisionedFromASnapshotTakenBeforeASwitchoverGetTheDdlRunAfterIt() throws Exception {
        Path root = TestCluster.tempRoot("SnapshotSwitchoverDdlTest");
        try (TestCluster cluster = new TestCluster("snapddl", "127.0.33", root)
                .withEnv("AUTOPILOT_BACKUP_DIRECTORY", Files.createDirectories(root.resolve("objects")).toString())
                .withEnv("AUTOPILOT_BACKUP_INTERVAL", "1h")) {
            cluster.assemble(2);
            AgentNode first = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(10));
            AgentNode second = cluster.nodes().stream().filter(n -> n != first).findFirst().orElseThrow();
            Scenarios.execute(first, "INSERT INTO w VALUES (1, 1)");
            Scenarios.takeSnapshot(cluster, first);

            switchover(cluster, first, second);
            Scenarios.execute(second, "CREATE TABLE after_switchover (id BIGINT PRIMARY KEY, origin VARCHAR(40))",
                    "INSERT INTO after_switchover VALUES (1, 'second as primary')",
                    "ALTER TABLE w ADD COLUMN note VARCHAR(40) NULL", "INSERT INTO w (id, at, note) VALUES (2, 2, 'after ddl')");
            long ddlOnSecond = cluster.checksum(second, "app.after_switchover");
            await(first.name + " has the DDL").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> cluster.checksum(first, "app.after_switchover") == ddlOnSecond);

            // Back to the first member; the second diverges (a write the cluster never sees), so its agent rebuilds it
            // from the newest snapshot: the one taken before the switchover and before its own DDL.
            switchover(cluster, second, first);
            second.crash();
            await("the crashed member left the replica service").atMost(Duration.ofSeconds(15))
                    .until(() -> !cluster.healthy("replica").contains(second.name));
            Scenarios.writeBehindTheAgentsBack(second, "INSERT INTO app.w (id, at) VALUES (-42, 0)");
            second.startRetryingStoreTimeouts(Duration.ofMinutes(2));
            await(second.name + " rebuilt").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(second.logContains("moved diverged data directory")).as(second.logTail(30)).isTrue());
            Scenarios.awaitReplica(cluster, second.name, Duration.ofSeconds(120));
            assertThat(second.logContains("provisioning from the newest snapshot")).as("rebuilt from the snapshot").isTrue();

            assertHoldsEveryRow(cluster, first, second, 2);

            // A member that joins now is provisioned from the same snapshot.
            AgentNode third = cluster.add(3);
            third.startRetryingStoreTimeouts(Duration.ofMinutes(2));
            Scenarios.awaitReplica(cluster, third.name, Duration.ofSeconds(180));
            assertThat(third.logContains("provisioning from the newest snapshot")).as("joined from the snapshot").isTrue();
            assertHoldsEveryRow(cluster, first, third, 3);
        }
    }

    /** After one more row on the primary (into the table the DDL created), {@code provisioned} holds every row it holds. */
    private static void assertHoldsEveryRow(TestCluster cluster, AgentNode primary, AgentNode provisioned, long id) throws SQLException {
        Scenarios.execute(primary, "INSERT INTO after_switchover VALUES (" + id + ", 'after provisioning')",
                "INSERT INTO w (id, at, note) VALUES (" + (id + 1) + ", 0, 'after provisioning')");
        long table = cluster.checksum(primary, "app.after_switchover");
        long w = cluster.checksum(primary, "app.w");
        await(provisioned.name + " holds every row the primary holds").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200)).ignoreExceptions().untilAsserted(() -> {
                    String replication = replicationState(provisioned);
                    assertThat(cluster.checksum(provisioned, "app.after_switchover")).as(replication).isEqualTo(table);
                    assertThat(cluster.checksum(provisioned, "app.w")).as(replication).isEqualTo(w);
                });
        assertThat(replicationState(provisioned)).as("replication of " + provisioned.name).contains("SQL error 0 ");
    }

    private static void switchover(TestCluster cluster, AgentNode from, AgentNode to) {
        Scenarios.awaitReplica(cluster, to.name, Duration.ofSeconds(60));
        cluster.store.put(ClusterStore.SWITCHOVER, ClusterStore.encode(
                new SwitchoverRequest(from.name, to.name, System.currentTimeMillis(), "")));
        await(to.name + " is the primary").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> Scenarios.primary(cluster).filter(p -> p == to).isPresent());
        Scenarios.awaitReplica(cluster, from.name, Duration.ofSeconds(60));
    }

    /** The replica's errors and position, for failure messages. */
    private static String replicationState(AgentNode node) {
        try (Connection c = node.rootConnection(TestCluster.ROOT_PASSWORD); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SHOW SLAVE STATUS")) {
            if (!rs.next()) {
                return node.name + " does not replicate";
            }
            return node.name + " replication: SQL error " + rs.getInt("Last_SQL_Errno") + " " + rs.getString("Last_SQL_Error")
                    + ", IO error " + rs.getInt("Last_IO_Errno") + ", Gtid_IO_Pos " + rs.getString("Gtid_IO_Pos");
        } catch (SQLException e) {
            return node.name + " replication status unreadable: " + e.getMessage();
        }
    }
}
