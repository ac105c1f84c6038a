package dev.autopilot.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.autopilot.agent.cluster.ClusterStore;
import dev.autopilot.agent.cluster.SwitchoverRequest;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Self-repair on real processes (design section 3): each scenario runs under continuous writes from a client
 * that records every acknowledged write, and a sampler that reads read_only on every member every 50 ms.
 * After each: exactly one writable member, never two at once, and the old primary back as a replica.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class FailoverTest {
    private static TestCluster cluster;
    private AckedWriter writer;
    private WritableSampler sampler;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = new TestCluster("failover", "127.0.10", TestCluster.tempRoot("FailoverTest"))
                .withEnv("AUTOPILOT_FAILOVER_PROMOTION_WINDOW", "1s");
        cluster.assemble(3);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @BeforeEach
    void startClients() {
        writer = new AckedWriter(() -> Scenarios.primary(cluster));
        sampler = new WritableSampler(cluster.nodes());
        await("writes flow").atMost(Duration.ofSeconds(10)).until(() -> writer.count() > 20);
    }

    @AfterEach
    void checkNoSplitBrain() throws Exception {
        writer.close();
        sampler.close();
        assertThat(sampler.samples()).isPositive();
        assertThat(sampler.splitBrains()).as("moments with two writable members").isEmpty();
        assertThat(cluster.writable()).hasSize(1);
    }

    @Test
    @Order(1)
    void nodeCrashOfThePrimaryFailsOverAndTheOldPrimaryRejoins() {
        AgentNode old = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(10));
        long fault = System.nanoTime();
        old.crash();
        AgentNode next = Scenarios.awaitNewPrimary(cluster, old.name, Duration.ofSeconds(15));
        long gap = Scenarios.unavailabilityMillis(writer, fault, next);
        System.out.printf("node crash: %s -> %s, write unavailability %d ms%n", old.name, next.name, gap);
        old.start();
        Scenarios.awaitReplica(cluster, old.name, Duration.ofSeconds(60));
    }

    @Test
    @Order(2)
    void databaseCrashOnThePrimaryReleasesTheLockAtOnce() {
        AgentNode old = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(10));
        long fault = System.nanoTime();
        old.crashDatabase();
        AgentNode next = Scenarios.awaitNewPrimary(cluster, old.name, Duration.ofSeconds(10));
        long gap = Scenarios.unavailabilityMillis(writer, fault, next);
        System.out.printf("mariadbd crash: %s -> %s, write unavailability %d ms%n", old.name, next.name, gap);
        assertThat(old.logContains("released the leader lock: database exited")).as("released at once, no fence of a dead server").isTrue();
        Scenarios.awaitReplica(cluster, old.name, Duration.ofSeconds(60));
    }

    @Test
    @Order(3)
    void gracefulStopOfThePrimaryHandsOverWithoutLosingWrites() throws Exception {
        AgentNode old = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(10));
        long fault = System.nanoTime();
        Thread stopper = Thread.ofVirtual().start(() -> assertThat(old.stop(Duration.ofSeconds(60))).isZero());
        AgentNode next = Scenarios.awaitNewPrimary(cluster, old.name, Duration.ofSeconds(10));
        long gap = Scenarios.unavailabilityMillis(writer, fault, next);
        stopper.join();
        writer.close();
        assertThat(writer.missingFrom(Scenarios.writtenIds(next))).as("acknowledged writes lost").isEmpty();
        System.out.printf("graceful stop: %s -> %s, write unavailability %d ms%n", old.name, next.name, gap);
        old.start();
        Scenarios.awaitReplica(cluster, old.name, Duration.ofSeconds(60));
    }

    @Test
    @Order(4)
    void plannedSwitchoverMovesThePrimaryWithoutLosingWrites() throws Exception {
        AgentNode old = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(10));
        String target = cluster.healthy("replica").getFirst();
        long fault = System.nanoTime();
        cluster.store.put(ClusterStore.SWITCHOVER, ClusterStore.encode(new SwitchoverRequest(old.name, target, System.currentTimeMillis(), "")));
        AgentNode next = Scenarios.awaitNewPrimary(cluster, old.name, Duration.ofSeconds(10));
        assertThat(next.name).isEqualTo(target);
        long gap = Scenarios.unavailabilityMillis(writer, fault, next);
        writer.close();
        assertThat(writer.missingFrom(Scenarios.writtenIds(next))).as("acknowledged writes lost").isEmpty();
        System.out.printf("switchover: %s -> %s, write unavailability %d ms%n", old.name, next.name, gap);
        Scenarios.awaitReplica(cluster, old.name, Duration.ofSeconds(30));
    }

    @Test
    @Order(5)
    void aReturningMemberWithErrantTransactionsIsDetectedAndRebuilt() throws Exception {
        AgentNode victim = cluster.node(cluster.healthy("replica").getFirst());
        victim.crash();
        await("the crashed member left the replica service").atMost(Duration.ofSeconds(15))
                .until(() -> !cluster.healthy("replica").contains(victim.name));
        Scenarios.writeBehindTheAgentsBack(victim, "INSERT INTO app.w VALUES (-42, 0)");
        victim.start();
        Scenarios.awaitReplica(cluster, victim.name, Duration.ofSeconds(90));
        assertThat(victim.logContains("transaction(s) that primary")).as("errant transactions logged").isTrue();
        assertThat(victim.logContains("moved diverged data directory")).as("rebuild logged").isTrue();
        try (var dirs = Files.list(victim.home.resolve("data"))) {
            assertThat(dirs.map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith("mysql.diverged-"));
        }
        assertThat(Scenarios.writtenIds(victim)).doesNotContain(-42L);
    }
}
