package dev.autopilot.coordination.consul;

import dev.autopilot.coordination.CoordinatorConformance;
import dev.autopilot.coordination.CoordinatorSettings;
import dev.autopilot.coordination.Secret;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;

/**
 * The conformance suite against a real Consul agent at CONSUL_HTTP_ADDR (e.g. {@code 127.0.0.1:8500} or
 * {@code http://host:8500}; token from CONSUL_HTTP_TOKEN). Skipped, with the reason printed, when the variable is
 * not set: no Consul binary can be installed on the build machines.
 */
@Timeout(180)
class ConsulAgentConformanceTest extends CoordinatorConformance {

    static URI agent;

    @BeforeAll
    static void requireAgent() {
        String addr = System.getenv("CONSUL_HTTP_ADDR");
        if (addr == null || addr.isBlank()) {
            String reason = "ConsulAgentConformanceTest skipped: CONSUL_HTTP_ADDR is not set (no Consul agent here); "
                    + "the Consul backend is verified by ConsulRequestTest and ConsulDoubleConformanceTest instead";
            System.out.println(reason);
            Assumptions.abort(reason);
        }
        agent = URI.create(addr.contains("://") ? addr : "http://" + addr);
    }

    @Override
    protected CoordinatorSettings settings(String cluster) {
        CoordinatorSettings s = CoordinatorSettings.consul(cluster, agent).withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(10));
        String token = System.getenv("CONSUL_HTTP_TOKEN");
        return token == null || token.isBlank() ? s : s.withToken(Secret.of(token.toCharArray()));
    }

    @Override
    protected CoordinatorSettings unreachableSettings() {
        return CoordinatorSettings.consul("unreachable", URI.create("http://127.0.2.250:8500"));
    }

    @Override
    protected void storeStopsAnswering() {
        Assumptions.abort("a real Consul agent cannot be silenced from the test (the Consul double covers this)");
    }

    @Override
    protected void storeAnswersAgain() {
    }

    @Override
    protected Duration lockTtl() {
        return ConsulLeaderLock.MIN_SESSION_TTL;
    }

    @Override
    protected Duration memberTtl() {
        return Duration.ofSeconds(3);
    }

    @Override
    protected Duration expirySlack() {
        // Consul reaps TTL checks on the agent's timer; allow one more second
        return Duration.ofSeconds(1);
    }

    @Override
    protected boolean watchCoalescesChanges() {
        return true;
    }
}
