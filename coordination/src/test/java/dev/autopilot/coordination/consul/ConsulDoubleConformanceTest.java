package dev.autopilot.coordination.consul;

import dev.autopilot.coordination.CoordinatorConformance;
import dev.autopilot.coordination.CoordinatorSettings;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;

/**
 * The conformance suite through the Consul backend against {@link ConsulApiDouble} (Consul's documented HTTP API,
 * in process). Proves the client logic end to end; {@link ConsulAgentConformanceTest} runs the same suite
 * against a real agent when CONSUL_HTTP_ADDR is set.
 */
@Timeout(120)
class ConsulDoubleConformanceTest extends CoordinatorConformance {

    static ConsulApiDouble consul;

    @BeforeAll
    static void start() throws Exception {
        consul = new ConsulApiDouble("127.0.2.40", null);
    }

    @AfterAll
    static void stop() {
        consul.close();
    }

    @Override
    protected CoordinatorSettings settings(String cluster) {
        return CoordinatorSettings.consul(cluster, consul.uri()).withTimeouts(Duration.ofSeconds(3), Duration.ofSeconds(5));
    }

    @Override
    protected CoordinatorSettings unreachableSettings() {
        return CoordinatorSettings.consul("unreachable", URI.create("http://127.0.2.250:8500"));
    }

    @Override
    protected void storeStopsAnswering() {
        consul.stopAnswering();
    }

    @Override
    protected void storeAnswersAgain() {
        consul.answerAgain();
    }

    @Override
    protected Duration lockTtl() {
        return ConsulLeaderLock.MIN_SESSION_TTL;
    }

    @Override
    protected Duration memberTtl() {
        return Duration.ofSeconds(2);
    }

    @Override
    protected Duration expirySlack() {
        return Duration.ofMillis(300);
    }

    @Override
    protected boolean watchCoalescesChanges() {
        return true;
    }
}
