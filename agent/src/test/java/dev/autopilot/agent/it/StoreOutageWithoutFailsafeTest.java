package dev.autopilot.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * failover.failsafe off (the default): every etcd member frozen (SIGSTOP) for 10 s. The primary cannot prove it holds
 * the lock, so it fences itself before its lease could expire in the store: read-only within the lease's TTL, and
 * no member is writable while etcd is frozen. When etcd resumes, the cluster elects a primary again.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class StoreOutageWithoutFailsafeTest {
    private static TestCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = new TestCluster("nofailsafe", "127.0.52", TestCluster.tempRoot("StoreOutageWithoutFailsafeTest"));
        cluster.assemble(3); // after the assignment: a failed assembly still closes what started
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void etcdFrozenForTenSecondsWithoutFailsafeFencesThePrimaryWithinTheLease() throws Exception {
        AgentNode primary = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(30));
        try (AckedWriter writer = new AckedWriter(() -> Optional.of(primary));
             WritableSampler sampler = new WritableSampler(cluster.nodes())) {
            await("writes flow").atMost(Duration.ofSeconds(20)).until(() -> writer.count() > 20);
            long frozenAt = System.nanoTime();
            for (int i = 0; i < 3; i++) {
                cluster.etcd.pause(i);
            }
            try {
                await("the primary fences itself").atMost(Duration.ofSeconds(8)).pollInterval(Duration.ofMillis(100))
                        .until(() -> !cluster.writable().contains(primary.name));
                long fencedAfter = (System.nanoTime() - frozenAt) / 1_000_000;
                assertThat(primary.logContains("failsafe: every member")).isFalse();
                await("etcd frozen for 10 s").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                        .until(() -> System.nanoTime() - frozenAt >= Duration.ofSeconds(10).toNanos());
                assertThat(writer.firstAckAfter(frozenAt + Duration.ofSeconds(5).toNanos(), primary.name)).isEmpty();
                assertThat(cluster.writable()).isEmpty();
                System.out.printf("etcd frozen 10 s without failsafe: primary read-only %d ms into the freeze%n", fencedAfter);
            } finally {
                for (int i = 0; i < 3; i++) {
                    cluster.etcd.resume(i);
                }
            }
            AgentNode next = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(60));
            await("exactly one writable member again").atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(cluster.writable()).containsExactly(next.name));
            assertThat(sampler.splitBrains()).isEmpty();
        }
    }
}
