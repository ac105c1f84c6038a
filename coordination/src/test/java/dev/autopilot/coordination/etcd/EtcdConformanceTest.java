package dev.autopilot.coordination.etcd;

import dev.autopilot.coordination.CoordinatorConformance;
import dev.autopilot.coordination.CoordinatorSettings;
import dev.autopilot.testkit.etcd.EtcdCluster;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;

/** The conformance suite against a real 3-member etcd cluster on 127.0.2.1-3. */
@Timeout(120)
class EtcdConformanceTest extends CoordinatorConformance {

    static EtcdCluster etcd;

    @BeforeAll
    static void startCluster() {
        etcd = EtcdCluster.builder().addresses("127.0.2.1", "127.0.2.2", "127.0.2.3").start();
    }

    @AfterAll
    static void stopCluster() {
        if (etcd != null) {
            etcd.close();
        }
    }

    @Override
    protected CoordinatorSettings settings(String cluster) {
        return CoordinatorSettings.etcd(cluster, etcd.endpoints()).withTimeouts(Duration.ofSeconds(3), Duration.ofSeconds(5));
    }

    @Override
    protected CoordinatorSettings unreachableSettings() {
        return CoordinatorSettings.etcd("unreachable", List.of(URI.create("http://127.0.2.250:2379")));
    }

    @Override
    protected void storeStopsAnswering() {
        for (int i = 0; i < 3; i++) {
            etcd.pause(i);
        }
    }

    @Override
    protected void storeAnswersAgain() {
        for (int i = 0; i < 3; i++) {
            etcd.resume(i);
        }
        etcd.awaitHealthy();
    }

    @Override
    protected Duration lockTtl() {
        return Duration.ofSeconds(3);
    }

    @Override
    protected Duration memberTtl() {
        return Duration.ofSeconds(2);
    }

    @Override
    protected Duration expirySlack() {
        // etcd's lessor checks for expired leases every 500 ms and revokes through raft
        return Duration.ofMillis(700);
    }
}
