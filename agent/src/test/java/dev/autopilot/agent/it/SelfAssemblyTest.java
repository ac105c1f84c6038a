package dev.autopilot.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.agent.cluster.Role;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Self-assembly on real mariadbd and a real 3-member etcd cluster: three members started at the same moment
 * from nothing end with one primary and two replicas; writes replicate; a fourth member joins by live clone
 * under write load; a member restarts into its role; a broken replica drops out of the replica service.
 * The scenarios build on each other (one cluster per class keeps the suite fast), in the order given.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 6, unit = java.util.concurrent.TimeUnit.MINUTES)
class SelfAssemblyTest {
    private static TestCluster cluster;

    @BeforeAll
    static void startEtcd() throws Exception {
        cluster = new TestCluster("assembly", "127.0.6", TestCluster.tempRoot("SelfAssemblyTest"));
    }

    @AfterAll
    static void stopAll() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void threeMembersStartedTogetherFromNothingEndWithOnePrimaryAndTwoReplicas() {
        List<AgentNode> nodes = List.of(cluster.add(1), cluster.add(2), cluster.add(3));
        nodes.forEach(AgentNode::start);
        await("one primary and two healthy replicas").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> {
                    assertThat(cluster.healthy("primary")).as(cluster.logs()).hasSize(1);
                    assertThat(cluster.healthy("replica")).hasSize(2);
                });
        String primary = cluster.healthy("primary").getFirst();
        assertThat(cluster.leader()).contains(primary);
        assertThat(cluster.writable()).containsExactly(primary);
        assertThat(cluster.members().values()).extracting(MemberRecord::role)
                .containsExactlyInAnyOrder(Role.PRIMARY, Role.REPLICA, Role.REPLICA);
    }

    @Test
    @Order(2)
    void thousandWritesReachEveryMemberIdentically() throws Exception {
        AgentNode primary = cluster.node(cluster.leader().orElseThrow());
        try (Connection c = primary.appConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(64))");
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO t VALUES (?, ?)")) {
                for (int i = 1; i <= 1000; i++) {
                    ps.setInt(1, i);
                    ps.setString(2, "row-" + i);
                    ps.executeUpdate();
                }
            }
        }
        long expected = cluster.checksum(primary, "app.t");
        await("every member has the same rows").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            for (AgentNode n : cluster.nodes()) {
                assertThat(cluster.checksum(n, "app.t")).as(n.name).isEqualTo(expected);
            }
        });
    }

    @Test
    @Order(3)
    void aFourthMemberJoinsByLiveCloneUnderWriteLoadAndCatchesUp() throws Exception {
        AgentNode primary = cluster.node(cluster.leader().orElseThrow());
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong written = new AtomicLong();
        Thread writer = Thread.ofVirtual().start(() -> {
            try (Connection c = primary.appConnection(); PreparedStatement ps = c.prepareStatement("INSERT INTO t VALUES (?, 'load')")) {
                for (int id = 100_000; writing.get(); id++) {
                    ps.setInt(1, id);
                    ps.executeUpdate();
                    written.incrementAndGet();
                }
            } catch (SQLException e) {
                throw new RuntimeException(e);
            }
        });
        AgentNode fourth = cluster.add(4);
        fourth.start();
        await("db4 is a healthy replica").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(cluster.healthy("replica")).as(fourth.logTail(40)).contains("db4"));
        writing.set(false);
        writer.join();
        assertThat(written.get()).as("writes during the clone").isPositive();
        assertThat(fourth.logContains("provisioning by live clone from")).isTrue();
        long expected = cluster.checksum(primary, "app.t");
        await("db4 matches the primary").atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(cluster.checksum(fourth, "app.t")).isEqualTo(expected));
    }

    @Test
    @Order(4)
    void aRestartedReplicaComesBackAsReplicaWithoutProvisioning() {
        String replica = cluster.healthy("replica").getFirst();
        AgentNode node = cluster.node(replica);
        assertThat(node.stop(Duration.ofSeconds(60))).isZero();
        await("the replica left the replica service").atMost(Duration.ofSeconds(10))
                .until(() -> !cluster.healthy("replica").contains(replica));
        node.start();
        await("the replica is back").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(cluster.healthy("replica")).as(node.logTail(30)).contains(replica));
        assertThat(node.logContains("holds this member's data; starting it read-only")).as("restarted on its own data").isTrue();
    }

    @Test
    @Order(5)
    void aReplicaWithABrokenSqlThreadReportsUnhealthyAndLeavesTheReplicaService() throws Exception {
        AgentNode primary = cluster.node(cluster.leader().orElseThrow());
        String replicaName = cluster.healthy("replica").getFirst();
        AgentNode replica = cluster.node(replicaName);
        // A real conflict: the row exists on the replica first, then the primary inserts the same key.
        try (Connection c = replica.rootConnection(TestCluster.ROOT_PASSWORD); Statement s = c.createStatement()) {
            s.execute("SET SESSION sql_log_bin = 0");
            s.execute("INSERT INTO app.t VALUES (-1, 'conflict')");
        }
        try (Connection c = primary.appConnection(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO t VALUES (-1, 'primary')");
        }
        await("the broken replica left the replica service").atMost(Duration.ofSeconds(15))
                .until(() -> !cluster.healthy("replica").contains(replicaName));
        MemberRecord record = cluster.members().get(replicaName);
        assertThat(record.healthy()).isFalse();
        assertThat(record.lastError()).contains("SQL thread error").contains("Duplicate");
        Set<String> others = cluster.healthy("replica").stream().collect(Collectors.toSet());
        assertThat(others).hasSize(2);
    }
}
