package dev.autopilot.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.autopilot.testkit.net.JavaCommand;
import dev.autopilot.testkit.net.NetworkNamespace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The primary cut off from the store and the replicas (unshare -n + iptables): it fences itself (read-only)
 * before a replica takes the lock, the sampler never sees two writable members, and after healing the old
 * primary rejoins as a replica.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class PartitionTest {

    @Test
    void aPrimaryCutOffFromStoreAndReplicasFencesItselfBeforeAReplicaIsPromoted() throws Exception {
        NetworkNamespace.unavailableReason().ifPresent(reason -> Assumptions.abort("partition test skipped: " + reason));
        Path root = TestCluster.tempRoot("PartitionTest");
        Path out = root.resolve("scenario.log");
        Process scenario = NetworkNamespace.start(JavaCommand.of(PartitionScenarioMain.class, root.toString()), out);
        try {
            assertThat(scenario.waitFor(5, TimeUnit.MINUTES)).as("scenario finished").isTrue();
        } finally {
            NetworkNamespace.destroyTree(scenario);
        }
        String output = Files.readString(out);
        System.out.println(output.lines().filter(l -> l.startsWith("FENCED_AT") || l.startsWith("PROMOTED_AT")
                || l.startsWith("partition:") || l.startsWith("RESULT")).reduce("", (a, b) -> a + b + "\n"));
        assertThat(output).as(output).contains("RESULT ok");
        assertThat(scenario.exitValue()).isZero();
    }
}
