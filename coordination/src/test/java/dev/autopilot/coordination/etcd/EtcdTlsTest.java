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
import dev.autopilot.testkit.tls.TestCertificates;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A real 3-member etcd on 127.0.43.1-3 with TLS for clients and peers, {@code --client-cert-auth} and authentication
 * enabled (a least-privilege user for the cluster's prefix), all with certificates made by the test: the store is
 * usable only with the CA, a client certificate and the password, and each missing piece is a clear error.
 */
@Timeout(120)
class EtcdTlsTest {
    private static final String CLIENT = "127.0.43.9";
    private static Path dir;
    private static TestCertificates certs;
    private static EtcdCluster etcd;

    @BeforeAll
    static void startSecuredEtcd() throws Exception {
        dir = Files.createTempDirectory("etcd-tls-test-");
        certs = TestCertificates.create(dir.resolve("tls"), CLIENT);
        for (String member : List.of("127.0.43.1", "127.0.43.2", "127.0.43.3")) {
            certs.issue(member, "etcd"); // the name every member's certificate shares: gRPC checks all against one
        }
        etcd = EtcdCluster.builder().addresses("127.0.43.1", "127.0.43.2", "127.0.43.3").dataRoot(dir.resolve("etcd"))
                .tls(certs).start();
        etcd.enableAuth("root-pw-0123456789", "autopilot", "agent-pw-0123456789", "/autopilot/");
    }

    @AfterAll
    static void stop() {
        if (etcd != null) {
            etcd.close();
        }
    }

    private static CoordinatorSettings secured() {
        // Generous startup: a cold JVM's first TLS + gRPC connection takes seconds on a loaded 2-core machine.
        return CoordinatorSettings.etcd("tls", etcd.endpoints()).withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(30))
                .withTls(new CoordinatorSettings.Tls(certs.caFile(), certs.certFile(CLIENT), certs.keyFile(CLIENT), "etcd"))
                .withUser("autopilot", Secret.of("agent-pw-0123456789".toCharArray()));
    }

    @Test
    void caClientCertificateAndPasswordTogetherReachTheStoreOverTls() {
        assertThat(etcd.endpoints()).allSatisfy(e -> assertThat(e.getScheme()).isEqualTo("https"));
        try (Coordinator c = Coordinators.open(secured())) {
            c.put("k", new byte[] {7});
            assertThat(c.get("k").orElseThrow().value()).containsExactly(7);
            LeaderLock lock = c.leaderLock("primary", "db1", Duration.ofSeconds(3), Duration.ofSeconds(1), l -> { });
            assertThat(lock.tryAcquire()).isTrue();
            lock.release();
        }
    }

    @Test
    void withoutAClientCertificateTheStoreRefusesTheConnection() {
        var noClientCert = CoordinatorSettings.etcd("tls", etcd.endpoints()).withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(3))
                .withTls(new CoordinatorSettings.Tls(certs.caFile(), null, null, "etcd"))
                .withUser("autopilot", Secret.of("agent-pw-0123456789".toCharArray()));
        assertThatThrownBy(() -> Coordinators.open(noClientCert).close()).isInstanceOf(CoordinationException.class)
                .hasMessageContaining("etcd");
    }

    @Test
    void aWrongPasswordIsRefusedEvenWithAValidCertificate() {
        var wrong = secured().withUser("autopilot", Secret.of("not-the-password".toCharArray()));
        assertThatThrownBy(() -> Coordinators.open(wrong).close()).isInstanceOf(CoordinationException.class)
                .hasMessageNotContaining("not-the-password");
    }

    @Test
    void theLeastPrivilegedUserCannotWriteOutsideItsPrefix() {
        try (Coordinator c = Coordinators.open(secured().withKeyPrefix("/elsewhere"))) {
            assertThatThrownBy(() -> c.put("k", new byte[] {1})).isInstanceOf(RuntimeException.class);
        } catch (CoordinationException refusedAtOpen) {
            // opening reads the scope once: a refusal there is the same proof
            assertThat(refusedAtOpen.getMessage()).containsIgnoringCase("permission");
        }
    }

    @Test
    void plainHttpEndpointsWithTlsSettingsAreAConfigurationError() {
        var mixed = CoordinatorSettings.etcd("tls", List.of(URI.create("http://127.0.43.1:2379")))
                .withTls(new CoordinatorSettings.Tls(certs.caFile(), null, null));
        assertThatThrownBy(() -> Coordinators.open(mixed)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must use https (tls is set)");
    }
}
