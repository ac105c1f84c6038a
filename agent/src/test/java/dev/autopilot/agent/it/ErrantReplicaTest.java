package dev.autopilot.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.autopilot.agent.cluster.MemberState;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, defect 15, as a new user met it: a transaction written straight into a running replica (root, or a
 * maintenance script with SUPER) left that replica healthy, and when the primary was killed it won the election, so
 * the stray write became the cluster's history. Now the replica is found diverged within seconds, while it
 * replicates, and is never promoted.
 */
class ErrantReplicaTest {

    @Test
    void transactionWrittenStraightIntoARunningReplicaIsFoundAndThatReplicaIsNeverPromoted() throws Exception {
        try (TestCluster cluster = new TestCluster("errant", "127.0.26", TestCluster.tempRoot("ErrantReplicaTest"))
                .withEnv("AUTOPILOT_FAILOVER_ON_ERRANT", "hold")
                .assemble(3)) {
            AgentNode primary = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(10));
            AgentNode stray = cluster.node(cluster.healthy("replica").getFirst());
            try (Connection c = stray.rootConnection(TestCluster.ROOT_PASSWORD); Statement s = c.createStatement()) {
                s.execute("INSERT INTO app.w VALUES (-7, 0)"); // root is not held back by read_only
            }
            await("the replica is reported diverged").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                    .until(() -> cluster.members().get(stray.name) != null
                            && cluster.members().get(stray.name).state() == MemberState.DIVERGED);
            assertThat(stray.logContains("written straight into this replica")).isTrue();

            primary.crash();
            AgentNode next = Scenarios.awaitNewPrimary(cluster, primary.name, Duration.ofSeconds(20));
            assertThat(next.name).as("the replica holding a stray write is never promoted").isNotEqualTo(stray.name);
            assertThat(Scenarios.ids(next, "app.w")).doesNotContain(-7L);
        }
    }
}
