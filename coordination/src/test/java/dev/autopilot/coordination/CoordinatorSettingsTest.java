package dev.autopilot.coordination;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Pure logic: settings validation lists every problem by path; secrets never appear in toString. */
class CoordinatorSettingsTest {

    @Test
    void everyProblemIsListedByItsPath() {
        CoordinatorSettings bad = new CoordinatorSettings(CoordinatorSettings.Backend.ETCD,
                List.of(URI.create("ftp://127.0.0.1:2379"), URI.create("https://127.0.0.1:2379")), "bad name", "autopilot",
                Duration.ofMillis(10), Duration.ZERO, null, java.util.Optional.of("root"), null,
                java.util.Optional.of(Secret.of("t".toCharArray())));
        assertThat(bad.validate()).containsExactlyInAnyOrder(
                "coordination.endpoints[0]: 'ftp://127.0.0.1:2379' must be http(s)://host:port",
                "coordination.endpoints[1]: 'https://127.0.0.1:2379' must use http (no tls set)",
                "coordination.cluster: 'bad name' must be 1-64 letters, digits, '_' or '-'",
                "coordination.keyPrefix: 'autopilot' must start with '/' and contain no empty segment",
                "coordination.requestTimeout: PT0.01S must be at least 100 ms",
                "coordination.startupTimeout: PT0S must be positive",
                "coordination.user/password: give both or neither",
                "coordination.token: etcd authenticates with user/password; set those instead");
        assertThatThrownBy(() -> Coordinators.open(bad)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("coordination.cluster").hasMessageContaining("coordination.endpoints[0]");
    }

    @Test
    void tlsFilesMustBeReadableAndClientCertAndKeyGoTogether() {
        CoordinatorSettings s = CoordinatorSettings.etcd("c1", List.of(URI.create("https://127.0.0.1:2379")))
                .withTls(new CoordinatorSettings.Tls(Path.of("/nonexistent/ca.pem"), Path.of("/nonexistent/c.pem"), null));
        assertThat(s.validate()).contains("coordination.tls.caFile: '/nonexistent/ca.pem' is not a readable file",
                "coordination.tls: certFile and keyFile go together (client authentication)");
    }

    @Test
    void scopeIsPrefixClusterAndSecretsAreMasked() {
        CoordinatorSettings s = CoordinatorSettings.etcd("c1", List.of(URI.create("http://127.0.0.1:2379")))
                .withUser("root", Secret.of("hunter2".toCharArray()));
        assertThat(s.scope()).isEqualTo("/autopilot/c1/");
        assertThat(s.withKeyPrefix("/db/").scope()).isEqualTo("/db/c1/");
        assertThat(s.validate()).isEmpty();
        assertThat(s.toString()).doesNotContain("hunter2").contains("password=****");
        assertThat(Secret.of("x".toCharArray()).toString()).isEqualTo("****");
    }
}
