package dev.autopilot.coordination.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.autopilot.testkit.net.JavaCommand;
import dev.autopilot.testkit.net.NetworkNamespace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Holder cut off from the store by iptables inside {@code unshare -n}: its lease-lost callback must fire before
 * any other contender acquires the lock. The scenario runs as one child process ({@link PartitionScenarioMain});
 * this test asserts on the monotonic timestamps it prints.
 */
@Timeout(150)
class EtcdPartitionTest {

    @Test
    void holderCutOffFromTheStoreLosesItsLeaseBeforeAnyOtherContenderAcquiresTheLock() throws Exception {
        NetworkNamespace.unavailableReason().ifPresent(reason -> Assumptions.abort("partition test skipped: " + reason));
        Path out = Files.createTempFile("partition-scenario", ".out");
        Process scenario = NetworkNamespace.start(JavaCommand.of(PartitionScenarioMain.class), out);
        try {
            boolean exited = scenario.waitFor(120, TimeUnit.SECONDS);
            String text = Files.readString(out);
            assertThat(exited).as("scenario finished\n" + text).isTrue();
            assertThat(scenario.exitValue()).as(text).isZero();
            String line = text.lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElseThrow(() -> new AssertionError(text));
            System.out.println(line);
            Map<String, String> r = Arrays.stream(line.substring(7).split(" ")).map(kv -> kv.split("="))
                    .collect(Collectors.toMap(kv -> kv[0], kv -> kv[1]));
            long cut = Long.parseLong(r.get("cut"));
            long lost = Long.parseLong(r.get("lost"));
            long contenderAttempt = Long.parseLong(r.get("contenderAttemptBeforeAcquire"));
            assertThat(lost).as("lease-lost fired before the contender's successful attempt started\n" + text).isLessThan(contenderAttempt);
            assertThat(r.get("reason")).isEqualTo("DEADLINE_PASSED");
            Duration lostAfterCut = Duration.ofNanos(lost - cut);
            assertThat(lostAfterCut).as("declared by the holder's clock within TTL - margin of the cut")
                    .isLessThanOrEqualTo(PartitionScenarioMain.TTL.minus(PartitionScenarioMain.MARGIN).plusMillis(300));
        } finally {
            NetworkNamespace.destroyTree(scenario);
            Files.deleteIfExists(out);
        }
    }
}
