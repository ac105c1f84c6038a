package dev.autopilot.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 11, defect 5: the primary's agent frozen (SIGSTOP) while its {@code mariadbd} runs on. A replica is promoted
 * once the lease expires; the old primary's dead-man switch must have made it read-only — and cut off the clients
 * connected straight to it — before the new primary acknowledges its first write; and a 2-second pause (GC, a busy
 * host) changes nothing. Subnet 127.0.36.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FrozenAgentTest {
    private static final Duration FREEZE = Duration.ofSeconds(10);
    private static TestCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = new TestCluster("frozen", "127.0.36", TestCluster.tempRoot("FrozenAgentTest"));
        cluster.assemble(2); // two members: enough for a promotion, lighter on a shared machine
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void aTwoSecondPauseOfThePrimaryAgentNeitherFencesNorFailsOver() throws Exception {
        AgentNode primary = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(30));
        try (AckedWriter direct = new AckedWriter(() -> Optional.of(primary))) {
            await("direct writes flow").atMost(Duration.ofSeconds(30)).until(() -> direct.count() > 20);
            signal("STOP", primary.pid());
            try {
                Thread.sleep(2000); // the injected pause, as bench/soak does
            } finally {
                signal("CONT", primary.pid());
            }
            long resumed = System.nanoTime();
            await("writes after the pause").atMost(Duration.ofSeconds(10)).until(() -> direct.firstAckAfter(resumed, primary.name).isPresent());
            assertThat(cluster.leader()).contains(primary.name);
            assertThat(switchFiredOn(primary)).as("the dead-man switch fired on a 2 s pause").isFalse();
        }
    }

    @Test
    @Order(2)
    void aClientConnectedDirectlyToTheFrozenPrimaryCannotCommitOnceAReplicaIsPromoted() throws Exception {
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
            assertThat(switchFiredOn(old)).as("the dead-man switch, not the resumed agent, fenced " + old.name).isTrue();
            // The agent reports the firing from its refresh thread, within a second of resuming, not necessarily before
            // it rejoined (CI once asserted between the two).
            await("the resumed agent reports the firing").atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(old.logContains("the dead-man switch fenced this server")).as(old.logTail(40)).isTrue());
            assertThat(direct.lastAckBy(old.name).orElseThrow()).isEqualTo(lastOld);
            assertThat(cluster.writable()).containsExactly(next.name);
        }
    }

    private static boolean switchFiredOn(AgentNode node) throws Exception {
        try (Connection c = node.rootConnection(TestCluster.ROOT_PASSWORD); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT fired FROM autopilot.dead_man WHERE id = 1")) {
            return rs.next() && rs.getString(1) != null;
        }
    }

    private static void signal(String signal, long pid) throws Exception {
        new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor();
    }
}
