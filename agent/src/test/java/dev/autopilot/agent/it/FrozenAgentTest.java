package dev.autopilot.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, defect 5: the primary's agent frozen (SIGSTOP) while its {@code mariadbd} runs on. A replica is promoted
 * once the lease expires; the old primary's dead-man switch must have made it read-only — and cut off the clients
 * connected straight to it — before the new primary acknowledges its first write. Subnet 127.0.36.
 */
class FrozenAgentTest {
    private static final Duration FREEZE = Duration.ofSeconds(10);

    @Test
    void aClientConnectedDirectlyToTheFrozenPrimaryCannotCommitOnceAReplicaIsPromoted() throws Exception {
        try (TestCluster cluster = new TestCluster("frozen", "127.0.36", TestCluster.tempRoot("FrozenAgentTest"))) {
            cluster.assemble(2); // two members: enough for a promotion, lighter on a shared machine
            AgentNode old = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(30));
            try (AckedWriter direct = new AckedWriter(() -> Optional.of(old));
                 AckedWriter routed = new AckedWriter(() -> Scenarios.primary(cluster).filter(p -> !p.name.equals(old.name)))) {
                await("direct writes flow").atMost(Duration.ofSeconds(30)).until(() -> direct.count() > 20);
                long frozenAt = System.nanoTime();
                signal("STOP", old.pid());
                AgentNode next;
                long firstNew;
                try {
                    next = Scenarios.awaitNewPrimary(cluster, old.name, Duration.ofSeconds(30));
                    await("a write acknowledged by " + next.name).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                            .until(() -> routed.firstAckAfter(frozenAt, next.name).isPresent());
                    firstNew = routed.firstAckAfter(frozenAt, next.name).orElseThrow();
                    long left = FREEZE.toNanos() - (System.nanoTime() - frozenAt);
                    if (left > 0) {
                        Thread.sleep(Duration.ofNanos(left)); // the rest of the injected 10 s freeze
                    }
                } finally {
                    signal("CONT", old.pid());
                }
                long lastOld = direct.lastAckBy(old.name).orElseThrow();
                System.out.printf("frozen agent: %s -> %s; last direct commit on the old primary %d ms after the freeze,"
                                + " first write on the new primary %d ms after it%n", old.name, next.name,
                        (lastOld - frozenAt) / 1_000_000, (firstNew - frozenAt) / 1_000_000);
                assertThat(lastOld).as("last commit acknowledged by the old primary vs the new primary's first")
                        .isLessThan(firstNew);
                // Resumed, the old primary's agent finds it lost the lock and the switch fired; it stays read-only.
                Scenarios.awaitReplica(cluster, old.name, Duration.ofSeconds(90));
                assertThat(old.logContains("the dead-man switch fenced this server")).as(old.logTail(40)).isTrue();
                assertThat(direct.lastAckBy(old.name).orElseThrow()).isEqualTo(lastOld);
                assertThat(cluster.writable()).containsExactly(next.name);
            }
        }
    }

    private static void signal(String signal, long pid) throws Exception {
        new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor();
    }
}
