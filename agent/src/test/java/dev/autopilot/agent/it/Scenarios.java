package dev.autopilot.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Shared steps of the scenarios: find the primary, measure a fault, read back acknowledged writes, take a snapshot,
 * write behind an agent's back.
 */
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

    /** Asks {@code node}'s REST API for a snapshot and waits until a member record names one. */
    static void takeSnapshot(TestCluster cluster, AgentNode node) throws IOException, InterruptedException {
        HttpResponse<String> reply = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://" + node.address + ":8008/backup"))
                .header("Authorization", "Bearer " + TestCluster.CLUSTER_TOKEN).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(reply.statusCode()).as(reply.body()).isBetween(200, 202);
        await("a snapshot in the store").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> assertThat(cluster.members().values()).anyMatch(m -> !m.lastSnapshot().isEmpty()));
    }

    /**
     * Runs {@code sql} as root on a member whose agent is down, on its own server started by hand from the agent's
     * option file: transactions the cluster never sees (errant ones, when the member was not the primary).
     */
    static void writeBehindTheAgentsBack(AgentNode member, String sql) throws IOException, InterruptedException {
        Process server = new ProcessBuilder("mariadbd", "--defaults-file=" + member.home.resolve("data/run/my.cnf"), "--user=root")
                .redirectErrorStream(true).redirectOutput(member.home.resolve("manual-mariadbd.log").toFile()).start();
        try {
            await("manually started server answers").atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
                try (Connection c = member.rootConnection(TestCluster.ROOT_PASSWORD)) {
                    return c.isValid(1);
                }
            });
            try (Connection c = member.rootConnection(TestCluster.ROOT_PASSWORD); Statement s = c.createStatement()) {
                s.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(member.name + ": " + sql + " failed on the manually started server: " + e.getMessage(), e);
        } finally {
            server.destroy();
            server.waitFor(60, TimeUnit.SECONDS);
        }
    }

    /** Runs statements as the application user on a member (over TCP, as a client would). */
    static void execute(AgentNode node, String... statements) throws SQLException {
        try (Connection c = node.appConnection(); Statement s = c.createStatement()) {
            for (String sql : statements) {
                s.execute(sql);
            }
        }
    }

    /** The {@code id} column of a table on a member, ascending (read as root over the socket). */
    static List<Long> ids(AgentNode node, String table) throws SQLException {
        List<Long> out = new ArrayList<>();
        try (Connection c = node.rootConnection(TestCluster.ROOT_PASSWORD); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id FROM " + table + " ORDER BY id")) {
            while (rs.next()) {
                out.add(rs.getLong(1));
            }
        }
        return out;
    }
}
