package dev.autopilot.coordination.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.autopilot.coordination.CoordinationException;
import dev.autopilot.coordination.Coordinator;
import dev.autopilot.coordination.CoordinatorSettings;
import dev.autopilot.coordination.Coordinators;
import dev.autopilot.coordination.LeaderLock;
import dev.autopilot.coordination.Secret;
import dev.autopilot.testkit.etcd.EtcdCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** etcd with authentication enabled (one real member on 127.0.2.10): user/password work, a wrong one is refused. */
@Timeout(60)
class EtcdAuthTest {

    static EtcdCluster etcd;

    @BeforeAll
    static void startWithAuth() {
        etcd = EtcdCluster.builder().addresses("127.0.2.10").start();
        // root (every permission) is the user under test; the prefix user is only what enableAuth sets up besides
        etcd.enableAuth("root-pw-123", "autopilot", "agent-pw-123", "/autopilot/");
    }

    @AfterAll
    static void stop() {
        if (etcd != null) {
            etcd.close();
        }
    }

    private static CoordinatorSettings settings(String password) {
        return CoordinatorSettings.etcd("auth", etcd.endpoints()).withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(3))
                .withUser("root", Secret.of(password.toCharArray()));
    }

    @Test
    void userAndPasswordAuthenticateEveryOperation() {
        try (Coordinator c = Coordinators.open(settings("root-pw-123"))) {
            c.put("k", new byte[] {7});
            assertThat(c.get("k").orElseThrow().value()).containsExactly(7);
            LeaderLock lock = c.leaderLock("primary", "db1", Duration.ofSeconds(3), Duration.ofSeconds(1), l -> { });
            assertThat(lock.tryAcquire()).isTrue();
            lock.release();
            assertThat(c.settings().toString()).doesNotContain("root-pw-123");
        }
    }

    @Test
    void aTokenTheStoreNoLongerKnowsIsReplacedWithoutAnError() throws Exception {
        try (Coordinator c = Coordinators.open(settings("root-pw-123"))) {
            c.put("before", new byte[] {1});
            // Turning authentication off and on drops every token etcd handed out (as their TTL would, after 5 minutes
            // unused; a member restart does not: it replays the authentications from its log).
            etcdctlAsRoot("auth", "disable");
            etcdctlAsRoot("auth", "enable");
            c.put("after", new byte[] {2});
            assertThat(c.get("before").orElseThrow().value()).containsExactly(1);
            assertThat(c.get("after").orElseThrow().value()).containsExactly(2);
        }
    }

    private static void etcdctlAsRoot(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/etcdctl", "--endpoints", etcd.endpointsCsv(), "--user", "root:root-pw-123"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0).as("etcdctl " + String.join(" ", args) + ": " + out).isTrue();
    }

    @Test
    void wrongPasswordIsAClearErrorNotAHang() {
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> Coordinators.open(settings("wrong")).close())
                .isInstanceOf(CoordinationException.class)
                .hasMessageContaining("etcd")
                .hasMessageNotContaining("wrong");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(8));
    }
}
