package dev.autopilot.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.autopilot.agent.cluster.ClusterStore;
import dev.autopilot.agent.cluster.SwitchoverRequest;
import dev.autopilot.agent.routing.HaproxyRuntimeApi;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The agents tell a real HAProxy through its runtime API when their writes open or close. The proxy's own HTTP check
 * runs only every 10 minutes here, so a client behind it that reaches the new primary within seconds of a hand-over
 * got there by the agents' word alone. Two members on 127.0.95.x, the proxy on 127.0.95.1.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class HaproxyHandOverTest {
    private static final Duration CHECKS_ALMOST_NEVER = Duration.ofMinutes(10);
    private static TestCluster cluster;
    private static HaproxyFront proxy;

    @BeforeAll
    static void startCluster() throws Exception {
        Path root = TestCluster.tempRoot("HaproxyHandOverTest");
        cluster = new TestCluster("proxied", "127.0.95", root)
                .withEnv("AUTOPILOT_FAILOVER_PROMOTION_WINDOW", "1s")
                .withEnv("AUTOPILOT_HAPROXY_RUNTIME_API", "unix:" + HaproxyFront.socketIn(root));
        List<AgentNode> nodes = List.of(cluster.add(1), cluster.add(2));
        nodes.getFirst().start();
        AckedWriter.createTable(Scenarios.awaitPrimary(cluster, Duration.ofMinutes(2)));
        nodes.getLast().start();
        Scenarios.awaitReplica(cluster, nodes.getLast().name, Duration.ofMinutes(2));
        proxy = HaproxyFront.start(root, "127.0.95.1", nodes, CHECKS_ALMOST_NEVER);
    }

    @AfterAll
    static void stopCluster() {
        if (proxy != null) {
            proxy.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void aProxyStartedAfterThePrimaryOpenedWritesIsToldOnceItAnswers() throws Exception {
        AgentNode primary = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(10));
        try (AckedWriter writer = AckedWriter.through(proxy.address, 3306, cluster::nodeAt)) {
            await("writes through HAProxy reach " + primary.name).atMost(Duration.ofSeconds(15))
                    .until(() -> writer.lastAckBy(primary.name).isPresent());
        }
        // Unchecked servers start up in HAProxy: only the primary's word takes the replica out before a check would.
        String replica = cluster.healthy("replica").getFirst();
        await("HAProxy routes to " + primary.name + " only").atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(serverStates())
                .contains("primary " + primary.name + " UP", "primary " + replica + " DOWN"));
    }

    @Test
    @Order(2)
    void aSwitchoverMovesClientsBehindHaproxyWithoutWaitingForItsCheck() throws Exception {
        AgentNode old = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(10));
        try (AckedWriter writer = AckedWriter.through(proxy.address, 3306, cluster::nodeAt)) {
            await("writes flow through HAProxy").atMost(Duration.ofSeconds(10)).until(() -> writer.count() > 20);
            long fault = System.nanoTime();
            cluster.store.put(ClusterStore.SWITCHOVER, ClusterStore.encode(new SwitchoverRequest(old.name, "", System.currentTimeMillis(), "")));
            AgentNode next = Scenarios.awaitNewPrimary(cluster, old.name, Duration.ofSeconds(15));
            System.out.printf("switchover behind HAProxy: %s -> %s, write unavailability %d ms%n", old.name, next.name,
                    Scenarios.unavailabilityMillis(writer, fault, next));
            writer.close();
            assertThat(writer.missingFrom(Scenarios.writtenIds(next))).isEmpty();
        }
        assertThat(serverStates()).contains("primary " + old.name + " DOWN", "primary " + Scenarios.primary(cluster).orElseThrow().name + " UP");
    }

    @Test
    @Order(3)
    void aGracefulStopMovesClientsBehindHaproxyWithoutWaitingForItsCheck() throws Exception {
        AgentNode old = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(10));
        try (AckedWriter writer = AckedWriter.through(proxy.address, 3306, cluster::nodeAt)) {
            await("writes flow through HAProxy").atMost(Duration.ofSeconds(10)).until(() -> writer.count() > 20);
            long fault = System.nanoTime();
            Thread stopper = Thread.ofVirtual().start(() -> old.stop(Duration.ofSeconds(60)));
            AgentNode next = Scenarios.awaitNewPrimary(cluster, old.name, Duration.ofSeconds(15));
            await("writes through HAProxy reach " + next.name).atMost(Duration.ofSeconds(10))
                    .until(() -> writer.lastAckBy(next.name).isPresent());
            System.out.printf("graceful stop behind HAProxy: %s -> %s, write unavailability %d ms%n", old.name, next.name,
                    Scenarios.unavailabilityMillis(writer, fault, next));
            writer.close();
            stopper.join();
            assertThat(writer.missingFrom(Scenarios.writtenIds(next))).isEmpty();
            assertThat(serverStates()).contains("primary " + old.name + " DOWN", "primary " + next.name + " UP");
        }
        old.start();
        Scenarios.awaitReplica(cluster, old.name, Duration.ofSeconds(60));
    }

    @Test
    @Order(4)
    void theNewPrimaryMarksACrashedPrimaryDownInHaproxy() throws Exception {
        AgentNode old = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(10));
        try (AckedWriter writer = AckedWriter.through(proxy.address, 3306, cluster::nodeAt)) {
            await("writes flow through HAProxy").atMost(Duration.ofSeconds(10)).until(() -> writer.lastAckBy(old.name).isPresent());
            old.crash(); // agent and mariadbd: nobody is left to take the old primary out of the proxy but the new one
            AgentNode next = Scenarios.awaitNewPrimary(cluster, old.name, Duration.ofSeconds(20));
            await("writes through HAProxy reach " + next.name).atMost(Duration.ofSeconds(10))
                    .until(() -> writer.lastAckBy(next.name).isPresent());
        }
        assertThat(serverStates()).contains("primary " + old.name + " DOWN");
    }

    /** "backend server UP|DOWN" per server, from the runtime API. */
    private static String serverStates() throws Exception {
        String answer = HaproxyRuntimeApi.of("unix:" + proxy.socket).run(List.of("show servers state primary"));
        StringBuilder states = new StringBuilder();
        for (String line : answer.lines().toList()) {
            String[] f = line.strip().split("\\s+");
            if (f.length > 5 && !line.startsWith("#")) {
                states.append(f[1]).append(' ').append(f[3]).append(' ').append(f[5].equals("0") ? "DOWN" : "UP").append('\n');
            }
        }
        return states.toString();
    }
}
