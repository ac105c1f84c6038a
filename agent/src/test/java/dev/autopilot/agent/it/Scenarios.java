package dev.autopilot.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Shared steps of the failover scenarios: find the primary, measure a fault, read back acknowledged writes. */
final class Scenarios {
    private Scenarios() {}

    /** The member that holds the lock and is in the primary service. */
    static Optional<AgentNode> primary(TestCluster cluster) {
        try {
            List<String> healthy = cluster.healthy("primary");
            return cluster.leader().filter(healthy::contains).map(cluster::node);
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    static AgentNode awaitPrimary(TestCluster cluster, Duration within) {
        await("a healthy primary").atMost(within).pollInterval(Duration.ofMillis(100))
                .until(() -> primary(cluster).isPresent());
        return primary(cluster).orElseThrow();
    }

    /** Waits for a primary other than {@code old}; returns it. */
    static AgentNode awaitNewPrimary(TestCluster cluster, String old, Duration within) {
        await("a new primary instead of " + old).atMost(within).pollInterval(Duration.ofMillis(50))
                .until(() -> primary(cluster).filter(p -> !p.name.equals(old)).isPresent());
        return primary(cluster).orElseThrow();
    }

    static void awaitReplica(TestCluster cluster, String member, Duration within) {
        await(member + " is a healthy replica").atMost(within).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(cluster.healthy("replica")).as(cluster.node(member).logTail(30)).contains(member));
    }

    /** Ids present in app.w on a member. */
    static Set<Long> writtenIds(AgentNode node) throws SQLException {
        Set<Long> ids = new HashSet<>();
        try (Connection c = node.rootConnection(TestCluster.ROOT_PASSWORD); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id FROM app.w")) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        return ids;
    }

    /** Milliseconds from the fault to the first write the new primary acknowledged (waits for one). */
    static long unavailabilityMillis(AckedWriter writer, long faultNanos, AgentNode newPrimary) {
        await("a write acknowledged by " + newPrimary.name).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                .until(() -> writer.firstAckAfter(faultNanos, newPrimary.name).isPresent());
        return (writer.firstAckAfter(faultNanos, newPrimary.name).orElseThrow() - faultNanos) / 1_000_000;
    }
}
