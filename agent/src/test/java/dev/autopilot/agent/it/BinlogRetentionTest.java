package dev.autopilot.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code mysql.binlogRetention} on a real cluster: the primary purges old binlogs only once they are archived (an
 * object-store outage keeps them), and a replica that was away while the binlogs it needs were purged is provisioned
 * again by a live clone and catches up, instead of stopping for good on error 1236.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class BinlogRetentionTest {

    @Test
    void binlogsGoOnlyOnceArchivedAndAReplicaLeftBehindIsProvisionedAgain() throws Exception {
        Path root = TestCluster.tempRoot("BinlogRetentionTest");
        Path objects = Files.createDirectories(root.resolve("objects"));
        try (TestCluster cluster = new TestCluster("retention", "127.0.25", root)
                .withEnv("AUTOPILOT_MYSQL_BINLOG_RETENTION", "3s")
                .withEnv("AUTOPILOT_BACKUP_DIRECTORY", objects.toString())
                .withEnv("AUTOPILOT_BACKUP_INTERVAL", "1s")
                .withEnv("AUTOPILOT_BACKUP_ARCHIVE_INTERVAL", "10s")) {
            cluster.assemble(2);
            AgentNode primary = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(10));
            AgentNode replica = cluster.nodes().stream().filter(n -> n != primary).findFirst().orElseThrow();

            // The object store goes away: nothing can be archived, so nothing may be purged, however old.
            Path away = root.resolve("objects-away");
            Files.move(objects, away);
            Scenarios.execute(primary, "CREATE TABLE r (id BIGINT PRIMARY KEY)", "INSERT INTO r VALUES (1)");
            String first = binlogs(primary).getFirst();
            rotate(primary);
            await("a retention pass refused while the store is away").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .until(() -> primary.logContains("binlog retention pass failed"));
            // Twice the retention plus a pass: without the archive check the file would be gone within this window.
            await("unarchived " + first + " kept").during(Duration.ofSeconds(7)).atMost(Duration.ofSeconds(9))
                    .pollInterval(Duration.ofMillis(250)).until(() -> binlogs(primary).contains(first));

            Files.move(away, objects);
            await(first + " archived, then purged").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                    .untilAsserted(() -> assertThat(binlogs(primary)).doesNotContain(first));
            // Archived before it was purged. The archive itself may be gone again by now: with a snapshot every second the
            // snapshot retention soon drops archived binlogs the kept snapshots cover (CI saw it 79 ms after the upload).
            assertThat(primary.logContains("archived binlog " + first + " of server")).as(primary.logTail(30)).isTrue();
            assertThat(primary.logContains("purged")).isTrue();

            // A replica away while everything after its position is purged cannot resume; it is provisioned again.
            assertThat(replica.stop(Duration.ofSeconds(60))).isZero();
            Scenarios.execute(primary, "INSERT INTO r VALUES (2)");
            String last = binlogs(primary).getLast();
            rotate(primary);
            await(last + " purged while " + replica.name + " is away").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                    .untilAsserted(() -> assertThat(binlogs(primary)).doesNotContain(last));
            replica.start();
            await(replica.name + " provisioned again").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(replica.logContains("no longer has the binlogs")).as(replica.logTail(30)).isTrue());
            Scenarios.awaitReplica(cluster, replica.name, Duration.ofSeconds(90));
            Scenarios.execute(primary, "INSERT INTO r VALUES (3)");
            long expected = cluster.checksum(primary, "app.r");
            await(replica.name + " holds every row").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .ignoreExceptions().untilAsserted(() -> assertThat(cluster.checksum(replica, "app.r")).isEqualTo(expected));
            assertThat(Scenarios.ids(replica, "app.r")).containsExactly(1L, 2L, 3L);
            assertThat(replica.logContains("provisioning by live clone")).as("a live clone, whose copy is current").isTrue();
        }
    }

    /** FLUSH BINARY LOGS twice: the files written so far are closed (the active one is never purged). */
    private static void rotate(AgentNode node) throws SQLException {
        try (Connection c = node.rootConnection(TestCluster.ROOT_PASSWORD); Statement s = c.createStatement()) {
            s.execute("FLUSH BINARY LOGS");
            s.execute("FLUSH BINARY LOGS");
        }
    }

    private static List<String> binlogs(AgentNode node) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = node.rootConnection(TestCluster.ROOT_PASSWORD); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SHOW BINARY LOGS")) {
            while (rs.next()) {
                out.add(rs.getString("Log_name"));
            }
        }
        return out;
    }
}
