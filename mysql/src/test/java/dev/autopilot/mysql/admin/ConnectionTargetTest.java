package dev.autopilot.mysql.admin;

import dev.autopilot.mysql.auth.Credentials;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConnectionTargetTest {

    @Test
    void passwordTravelsAsDriverPropertyNeverInUrlOrText() {
        ConnectionTarget t = ConnectionTarget.tcp("127.0.4.10", 3306, Credentials.of("monitor", "s3cret"));
        assertThat(t.jdbcUrl()).isEqualTo("jdbc:mariadb://127.0.4.10:3306/").doesNotContain("s3cret");
        assertThat(t.toString()).isEqualTo("monitor@127.0.4.10:3306");
        assertThat(t.properties()).containsEntry("password", "s3cret").containsEntry("socketTimeout", "5000")
                .containsEntry("connectTimeout", "3000");
    }

    @Test
    void publicKeyRetrievalOnlyWithoutTlsAndVerifyFullWithIt() {
        ConnectionTarget plain = ConnectionTarget.tcp("127.0.4.10", 3306, Credentials.of("monitor", "s3cret"));
        assertThat(plain.properties()).containsEntry("allowPublicKeyRetrieval", "true").doesNotContainKey("sslMode");
        ConnectionTarget tls = plain.withTls(java.util.Optional.of(Path.of("/tls/ca.pem"))).withTimeouts(
                java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(2));
        assertThat(tls.properties()).containsEntry("sslMode", "verify-full").containsEntry("serverSslCert", "/tls/ca.pem")
                .doesNotContainKey("allowPublicKeyRetrieval");
        assertThat(tls.toString()).isEqualTo("monitor@127.0.4.10:3306 (TLS)");
    }

    @Test
    void socketTargetUsesLocalSocketOption() {
        ConnectionTarget t = ConnectionTarget.socket(Path.of("/run/ap/mysqld.sock"), Credentials.of("root", "x"));
        assertThat(t.jdbcUrl()).isEqualTo("jdbc:mariadb://localhost/?localSocket=/run/ap/mysqld.sock");
        assertThatThrownBy(() -> ConnectionTarget.socket(Path.of("/run/a&b/mysqld.sock"), Credentials.of("root", "x")))
                .hasMessageContaining("cannot carry");
    }
}
