package dev.autopilot.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.autopilot.agent.metrics.Exposition;
import dev.autopilot.mysql.gtid.GtidPosition;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code GET /metrics} on a real two-member cluster (real etcd, two real mariadbd): the primary and the replica each
 * report their role, the lock, replication threads, lag and GTID position as they are, and a switchover moves the
 * counters on the member it promotes. A scrape answers while the database and the store are frozen.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class MetricsTest {
    /** Far below the database's and the store's own timeouts: a scrape that waited for either would miss it. */
    private static final Duration SCRAPE_TIMEOUT = Duration.ofSeconds(3);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void primaryAndReplicaReportRoleLockLagThreadsAndPositionAndASwitchoverMovesTheCounters() throws Exception {
        try (TestCluster cluster = new TestCluster("metrics", "127.0.85", TestCluster.tempRoot("MetricsTest")).assemble(2)) {
            AgentNode primary = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(10));
            AgentNode replica = cluster.node(cluster.healthy("replica").getFirst());
            Scenarios.execute(primary, "INSERT INTO app.w VALUES (1, 0)", "INSERT INTO app.w VALUES (2, 0)", "INSERT INTO app.w VALUES (3, 0)");
            long written = executedSequence(primary);

            await("both report the primary's executed GTID position").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                    .untilAsserted(() -> {
                        assertThat(sequence(scrape(primary))).isEqualTo(written);
                        Exposition r = scrape(replica);
                        assertThat(sequence(r)).isEqualTo(written);
                        assertThat(r.value("autopilot_replication_lag_transactions", "member", replica.name)).isZero();
                    });
            Exposition p = scrape(primary);
            Exposition r = scrape(replica);
            assertThat(p.value("autopilot_role", "role", "primary")).isEqualTo(1);
            assertThat(p.value("autopilot_leader_lock_held")).isEqualTo(1);
            assertThat(p.value("autopilot_leader_lease_remaining_seconds")).isPositive().isLessThanOrEqualTo(4);
            assertThat(p.value("autopilot_replication_thread_running", "thread", "io")).isZero();
            assertThat(p.value("autopilot_replication_lag_seconds")).isNaN();
            assertThat(p.value("autopilot_ha_last_outcome", "outcome", "leading")).isEqualTo(1);
            assertThat(p.value("autopilot_store_request_seconds_count", "operation", "list")).as("the HA loop reads the cluster").isPositive();
            assertThat(p.value("autopilot_store_errors_total", "operation", "list")).isZero();
            assertThat(r.value("autopilot_role", "role", "replica")).isEqualTo(1);
            assertThat(r.value("autopilot_role", "role", "primary")).isZero();
            assertThat(r.value("autopilot_leader_lock_held")).isZero();
            assertThat(r.value("autopilot_leader_lease_remaining_seconds")).isZero();
            assertThat(r.value("autopilot_replication_thread_running", "thread", "io")).isEqualTo(1);
            assertThat(r.value("autopilot_replication_thread_running", "thread", "sql")).isEqualTo(1);
            assertThat(r.value("autopilot_replication_lag_seconds")).isZero();
            assertThat(r.value("autopilot_ha_last_outcome", "outcome", "following")).isEqualTo(1);
            assertThat(r.value("autopilot_provisioning_received_bytes_total")).as("it was cloned from the primary").isPositive();
            assertThat(r.value("autopilot_switchovers_total")).isZero();
            double cyclesBefore = p.value("autopilot_ha_cycle_seconds_count");

            assertThat(switchover(primary, replica)).startsWith("200");
            await("the replica is primary after the switchover").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                    .untilAsserted(() -> {
                        Exposition promoted = scrape(replica);
                        assertThat(promoted.value("autopilot_role", "role", "primary")).isEqualTo(1);
                        assertThat(promoted.value("autopilot_leader_lock_held")).isEqualTo(1);
                        assertThat(scrape(primary).value("autopilot_role", "role", "replica")).isEqualTo(1);
                    });
            Exposition promoted = scrape(replica);
            Exposition former = scrape(primary);
            assertThat(promoted.value("autopilot_switchovers_total")).isEqualTo(1);
            assertThat(promoted.value("autopilot_failovers_total")).isZero();
            assertThat(promoted.value("autopilot_last_promotion_duration_seconds")).isPositive().isLessThan(5);
            assertThat(promoted.value("autopilot_replication_lag_seconds")).isNaN();
            assertThat(former.value("autopilot_leader_lock_held")).isZero();
            assertThat(former.value("autopilot_switchovers_total")).isZero();
            assertThat(former.value("autopilot_last_promotion_duration_seconds")).isNaN();
            assertThat(former.value("autopilot_ha_cycle_seconds_count")).isGreaterThan(cyclesBefore);

            // A scrape answers from memory: with the replica's database and every etcd member frozen, it still answers.
            long server = primary.mariadbd().orElseThrow().pid();
            FaultCluster.signal("STOP", server);
            for (int i = 0; i < 3; i++) {
                cluster.etcd.pause(i);
            }
            try {
                assertThat(scrape(primary).value("autopilot_role", "role", "replica")).isEqualTo(1);
                assertThat(scrape(replica).value("autopilot_role", "role", "primary")).isEqualTo(1);
            } finally {
                for (int i = 0; i < 3; i++) {
                    cluster.etcd.resume(i);
                }
                FaultCluster.signal("CONT", server);
            }
        }
    }

    private Exposition scrape(AgentNode node) throws IOException, InterruptedException {
        HttpResponse<String> reply = http.send(HttpRequest.newBuilder(URI.create("http://" + node.address + ":8008/metrics"))
                .timeout(SCRAPE_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(reply.statusCode()).isEqualTo(200);
        return Exposition.parse(reply.body());
    }

    /** What the server says it executed in GTID domain 0, asked over its socket. */
    private static long executedSequence(AgentNode node) throws SQLException {
        try (Connection c = node.rootConnection(TestCluster.ROOT_PASSWORD); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT @@gtid_current_pos")) {
            rs.next();
            return GtidPosition.parse(rs.getString(1)).sequenceInDomain(0).orElseThrow();
        }
    }

    /** The member's executed GTID sequence in domain 0, as its metrics say. */
    private static long sequence(Exposition e) {
        return (long) e.value("autopilot_gtid_sequence", "domain", "0");
    }

    private String switchover(AgentNode via, AgentNode target) throws IOException, InterruptedException {
        HttpResponse<String> reply = http.send(HttpRequest.newBuilder(URI.create("http://" + via.address + ":8008/switchover?to=" + target.name))
                .header("Authorization", "Bearer " + TestCluster.CLUSTER_TOKEN).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        return reply.statusCode() + " " + reply.body();
    }
}
