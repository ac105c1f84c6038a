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
 * failover.failsafe on: every etcd member frozen (SIGSTOP) for 10 s. The primary reaches both replicas' agents, each
 * confirms, so it keeps acknowledging writes past its lease deadline; nobody else becomes writable; when etcd
 * resumes, the same member takes the lock back and the cluster goes on with it.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class FailsafeTest {
    private static TestCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = new TestCluster("failsafe", "127.0.51", TestCluster.tempRoot("FailsafeTest"))
                .withEnv("AUTOPILOT_FAILOVER_FAILSAFE", "on");
        cluster.assemble(3); // after the assignment: a failed assembly still closes what started
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void etcdFrozenForTenSecondsThePrimaryEveryMemberConfirmsKeepsAcknowledgingWrites() throws Exception {
        AgentNode primary = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(30));
        await("the primary publishes the roster it asks").atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(cluster.failsafeRoster()).hasValueSatisfying(r -> {
                    assertThat(r.members()).containsExactly("db1", "db2", "db3");
                    assertThat(r.publisher()).isEqualTo(primary.name);
                }));
        try (AckedWriter writer = new AckedWriter(() -> Optional.of(primary)); // straight to the primary: no store needed
             WritableSampler sampler = new WritableSampler(cluster.nodes())) {
            await("writes flow").atMost(Duration.ofSeconds(20)).until(() -> writer.count() > 20);
            long frozenAt = System.nanoTime();
            for (int i = 0; i < 3; i++) {
                cluster.etcd.pause(i);
            }
            try {
                await("the primary's lease is lost and it leads on failsafe confirmations").atMost(Duration.ofSeconds(10))
                        .until(() -> primary.logContains("failsafe: every member"));
                // 8 s into the freeze the lease (4 s TTL) is long gone: only failsafe keeps writes open.
                await("writes acknowledged 8 s into the freeze").atMost(Duration.ofSeconds(20))
                        .until(() -> writer.firstAckAfter(frozenAt + Duration.ofSeconds(8).toNanos(), primary.name).isPresent());
                await("etcd frozen for 10 s").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                        .until(() -> System.nanoTime() - frozenAt >= Duration.ofSeconds(10).toNanos());
                assertThat(writer.firstAckAfter(frozenAt + Duration.ofMillis(9500).toNanos(), primary.name)).isPresent();
            } finally {
                for (int i = 0; i < 3; i++) {
                    cluster.etcd.resume(i);
                }
            }
            System.out.printf("etcd frozen 10 s with failsafe: longest write gap %d ms, %d writes acknowledged%n",
                    writer.longestGapMillis(), writer.count());
            assertThat(writer.longestGapMillis()).as(cluster.logs()).isLessThan(2500);
            await("the same primary holds the lock again once etcd answers").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .untilAsserted(() -> assertThat(Scenarios.primary(cluster)).as(cluster.logs()).hasValueSatisfying(
                            p -> assertThat(p.name).isEqualTo(primary.name)));
            long resumedCount = writer.count();
            await("writes go on").atMost(Duration.ofSeconds(20)).until(() -> writer.count() > resumedCount + 20);
            assertThat(sampler.splitBrains()).isEmpty();
            assertThat(cluster.writable()).containsExactly(primary.name);
            for (AgentNode n : cluster.nodes()) {
                if (!n.name.equals(primary.name)) {
                    assertThat(n.logContains("failsafe: promised " + primary.name)).as(n.logTail(40)).isTrue();
                }
            }
        }
    }
}
