package dev.autopilot.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Zero-loss mode (mysql.zeroLoss: true, semi-synchronous AFTER_SYNC): every write the client saw
 * acknowledged is on the new primary after the old one is killed — twice in a row, the second time on the
 * promoted member — and the old primaries rejoin without being rebuilt.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ZeroLossTest {
    private static TestCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = new TestCluster("zeroloss", "127.0.12", TestCluster.tempRoot("ZeroLossTest"))
                .withEnv("AUTOPILOT_MYSQL_ZERO_LOSS", "true")
                .withEnv("AUTOPILOT_FAILOVER_PROMOTION_WINDOW", "1s");
        cluster.assemble(3);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void nodeCrashesOfThePrimaryLoseNoAcknowledgedWrite() throws Exception {
        AgentNode primary = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(10));
        try (Connection c = primary.rootConnection(TestCluster.ROOT_PASSWORD); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT @@rpl_semi_sync_master_enabled, @@rpl_semi_sync_master_wait_point")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(1);
            assertThat(rs.getString(2)).isEqualTo("AFTER_SYNC");
        }
        assertOnlyThePrimaryWaitsForAcknowledgements(primary);
        for (int trial = 1; trial <= 2; trial++) {
            AgentNode old = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(30));
            try (AckedWriter writer = new AckedWriter(() -> Scenarios.primary(cluster));
                 WritableSampler sampler = new WritableSampler(cluster.nodes())) {
                await("writes flow").atMost(Duration.ofSeconds(15)).until(() -> writer.count() > 50);
                long fault = System.nanoTime();
                old.crash();
                AgentNode next = Scenarios.awaitNewPrimary(cluster, old.name, Duration.ofSeconds(15));
                long gap = Scenarios.unavailabilityMillis(writer, fault, next);
                writer.close();
                List<Long> lost = writer.missingFrom(Scenarios.writtenIds(next));
                System.out.printf("zero-loss trial %d: %s -> %s, write unavailability %d ms, %d acknowledged writes, %d lost%n",
                        trial, old.name, next.name, gap, writer.count(), lost.size());
                assertThat(lost).as("acknowledged writes missing on the new primary").isEmpty();
                assertThat(sampler.splitBrains()).isEmpty();
            }
            old.start();
            Scenarios.awaitReplica(cluster, old.name, Duration.ofSeconds(90));
            assertThat(old.logContains("moved diverged data directory")).as("rebuilt instead of rejoining").isFalse();
            assertOnlyThePrimaryWaitsForAcknowledgements(Scenarios.awaitPrimary(cluster, Duration.ofSeconds(30)));
        }
    }

    /**
     * A replica with the primary side of semi-sync on makes its own applier wait for acknowledgements: its
     * gtid_slave_pos falls behind its binlog, and the next re-point stops on "GTID out of order" (error 1950).
     */
    private static void assertOnlyThePrimaryWaitsForAcknowledgements(AgentNode primary) throws Exception {
        for (AgentNode n : cluster.nodes()) {
            try (Connection c = n.rootConnection(TestCluster.ROOT_PASSWORD); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT @@rpl_semi_sync_master_enabled, @@rpl_semi_sync_slave_enabled")) {
                rs.next();
                assertThat(rs.getInt(1)).as(n.name + " rpl_semi_sync_master_enabled").isEqualTo(n.name.equals(primary.name) ? 1 : 0);
                assertThat(rs.getInt(2)).as(n.name + " rpl_semi_sync_slave_enabled").isEqualTo(1);
            }
        }
    }
}
