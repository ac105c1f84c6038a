package dev.autopilot.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An agent killed outside a container (kill -9 of its JVM) leaves its {@code mariadbd} running: writable if it was the
 * primary, and holding the port the restarted agent needs. The restarted agent fences and stops that server before
 * anything else, starts the data directory under its own supervisor and rejoins as a replica; at no point after the
 * take-over are two members writable.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class OrphanMariadbdTest {

    @Test
    void orphanMariadbdAfterAgentCrashIsFencedAndRejoins() throws Exception {
        try (TestCluster cluster = new TestCluster("orphan", "127.0.31", TestCluster.tempRoot("OrphanMariadbdTest"))) {
            cluster.assemble(2);
            AgentNode old = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(10));
            Scenarios.execute(old, "INSERT INTO w VALUES (1, 1)");

            ProcessHandle orphan = old.crashAgentOnly();
            AgentNode next = Scenarios.awaitNewPrimary(cluster, old.name, Duration.ofSeconds(60));
            assertThat(orphan.isAlive()).as("the agent's crash left its mariadbd running").isTrue();
            Scenarios.execute(next, "INSERT INTO w VALUES (2, 2)");

            old.startRetryingStoreTimeouts(Duration.ofMinutes(2));
            Scenarios.awaitReplica(cluster, old.name, Duration.ofMinutes(2));
            assertThat(orphan.isAlive()).as("the left-behind server was stopped").isFalse();
            assertThat(old.logContains("left behind by an agent")).as(old.logTail(40)).isTrue();
            assertThat(cluster.writable()).as("writable members").containsExactly(next.name);
            await(old.name + " replicates the new primary's writes").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .untilAsserted(() -> assertThat(Scenarios.ids(old, "app.w")).containsExactly(1L, 2L));
            assertThat(old.mariadbd()).as(old.name + "'s server now runs under its agent").isPresent();
        }
    }
}
