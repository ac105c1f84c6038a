package dev.autopilot.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.autopilot.coordination.Coordinator;
import dev.autopilot.coordination.CoordinatorSettings;
import dev.autopilot.coordination.Coordinators;
import dev.autopilot.coordination.Secret;
import dev.autopilot.testkit.etcd.EtcdCluster;
import dev.autopilot.testkit.tls.TestCertificates;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The secured deployment of {@code deploy/secured/} run as it is shipped: certificates from its
 * {@code make-certificates.sh}, its {@code agent.yaml}, a real 3-member etcd with TLS, {@code --client-cert-auth} and
 * authentication (a user limited to the cluster's prefix), and two agents on 127.0.44.11-12. Every channel is
 * checked to be the secured one: the store, replication ({@code MASTER_SSL} with the primary's certificate verified),
 * the database's TCP clients ({@code require_secure_transport}), the REST API (HTTPS only, operator token), and the
 * live clone that provisions the second member (mariabackup over TLS, the clone token's handshake).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class SecuredClusterTest {
    private static final String SUBNET = "127.0.44";
    private static final List<String> ETCD = List.of(SUBNET + ".1", SUBNET + ".2", SUBNET + ".3");
    private static final String OPERATOR_TOKEN = "operator-token-0123456789abcdef";
    private static final String STORE_PASSWORD = "store-password-0123456789";
    private static final String ROOT_PASSWORD = "root-secret-123";

    private static Path root;
    private static Path certDir;
    private static TestCertificates certs;
    private static EtcdCluster etcd;
    private static Coordinator store;
    private static final Map<String, AgentNode> nodes = new LinkedHashMap<>();

    @BeforeAll
    static void startSecuredCluster() throws Exception {
        root = TestCluster.tempRoot("SecuredClusterTest");
        certDir = root.resolve("tls");
        List<String> cmd = new ArrayList<>(List.of("bash", Path.of("..", "deploy", "secured", "make-certificates.sh").toString(),
                certDir.toString(), "--etcd"));
        cmd.addAll(ETCD);
        cmd.addAll(List.of("--members", SUBNET + ".11", SUBNET + ".12"));
        ProcessBuilder makeCertificates = new ProcessBuilder(cmd).redirectErrorStream(true);
        makeCertificates.environment().put("EXTRA_SAN", "DNS:localhost"); // etcd peers connect from 127.0.0.1 on one machine
        Process make = makeCertificates.start();
        String out = new String(make.getInputStream().readAllBytes());
        assertThat(make.waitFor()).as(out).isZero();
        certs = TestCertificates.existing(certDir);

        etcd = EtcdCluster.builder().addresses(ETCD).dataRoot(root.resolve("etcd")).tls(certs).start();
        etcd.enableAuth("root-password-0123456789", "autopilot", STORE_PASSWORD, "/autopilot/");
        store = Coordinators.open(CoordinatorSettings.etcd("orders", etcd.endpoints())
                .withTls(new CoordinatorSettings.Tls(certs.caFile(), certs.certFile(SUBNET + ".11"), certs.keyFile(SUBNET + ".11"), "etcd"))
                .withUser("autopilot", Secret.of(STORE_PASSWORD.toCharArray())));

        Path secrets = Files.createDirectories(root.resolve("secrets"));
        Map<String, String> values = Map.of("root-password", ROOT_PASSWORD, "replication-password", "repl-secret-123",
                "monitor-password", "monitor-secret-123", "backup-password", "backup-secret-123", "app-password", AgentNode.APP_PASSWORD,
                "operator-token", OPERATOR_TOKEN, "clone-token", "clone-token-0123456789abcdef", "coordination-password", STORE_PASSWORD);
        for (var e : values.entrySet()) {
            Files.writeString(secrets.resolve(e.getKey()), e.getValue() + "\n");
        }

        AgentNode first = node(1, secrets);
        first.start();
        await("db1 from nothing is a writable primary, over a TLS store").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(healthy("primary")).as(first.logTail(40)).containsExactly("db1"));
        AgentNode second = node(2, secrets);
        second.start();
        await("db2 cloned from db1 and replicates").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(healthy("replica")).as(second.logTail(40)).containsExactly("db2"));
    }

    /** Member {@code n} configured by deploy/secured/agent.yaml; only what differs per member comes from the environment. */
    private static AgentNode node(int n, Path secrets) throws IOException {
        String address = SUBNET + "." + (10 + n);
        Path home = root.resolve("db" + n);
        Path tls = Files.createDirectories(home.resolve("tls"));
        Files.copy(certs.caFile(), tls.resolve("ca.pem"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(certs.certFile(address), tls.resolve("member.pem"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(certs.keyFile(address), tls.resolve("member.key"), StandardCopyOption.REPLACE_EXISTING);
        Map<String, String> env = Map.of("MEMBER_ADDRESS", address, "TLS_DIR", tls.toString(),
                "AUTOPILOT_MEMBER_NAME", "db" + n, "AUTOPILOT_MEMBER_DATA_DIR", home.resolve("data").toString(),
                "AUTOPILOT_COORDINATION_ENDPOINTS", etcd.endpointsCsv(), "AUTOPILOT_SECRETS_DIR", secrets.toString(),
                "AUTOPILOT_MYSQL_BUFFER_POOL", "32", "AUTOPILOT_FAILOVER_PROMOTION_WINDOW", "1s");
        AgentNode node = new AgentNode("db" + n, address, home, Path.of("..", "deploy", "secured", "agent.yaml").toAbsolutePath(), env);
        nodes.put(node.name, node);
        return node;
    }

    private static List<String> healthy(String role) {
        return store.healthyMembers("orders-" + role).stream().map(m -> m.name()).toList();
    }

    @AfterAll
    static void stopAll() {
        nodes.values().forEach(AgentNode::close);
        if (store != null) {
            store.close();
        }
        if (etcd != null) {
            etcd.close();
        }
    }

    @Test
    @Order(1)
    void replicationRunsOverTlsWithThePrimarysCertificateVerified() throws SQLException {
        AgentNode replica = nodes.get("db2");
        try (Connection c = replica.rootConnection(ROOT_PASSWORD); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SHOW SLAVE STATUS")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString("Slave_IO_Running")).isEqualTo("Yes");
            assertThat(rs.getString("Master_SSL_Allowed")).isEqualTo("Yes");
            assertThat(rs.getString("Master_SSL_Verify_Server_Cert")).isEqualTo("Yes");
            assertThat(rs.getString("Master_SSL_CA_File")).endsWith("ca.pem");
        }
    }

    @Test
    @Order(2)
    void theDatabaseRefusesPlainTcpClientsAndServesVerifiedTlsOnes() throws SQLException {
        AgentNode primary = nodes.get("db1");
        String url = "jdbc:mariadb://" + primary.address + ":3306/app?connectTimeout=2000&socketTimeout=5000";
        // MariaDB 10.11 answers an insecure client "Access denied"; the same credentials over TLS below prove it is the transport.
        assertThatThrownBy(() -> DriverManager.getConnection(url + "&sslMode=disable", AgentNode.APP_USER, AgentNode.APP_PASSWORD).close())
                .isInstanceOf(SQLException.class);
        try (Connection c = DriverManager.getConnection(url + "&sslMode=verify-full&serverSslCert=" + certs.caFile(),
                AgentNode.APP_USER, AgentNode.APP_PASSWORD);
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW STATUS LIKE 'Ssl_version'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(2)).startsWith("TLS");
        }
    }

    @Test
    @Order(3)
    void theRestApiSpeaksOnlyHttpsAndAcceptsTheOperatorTokenForASwitchover() throws Exception {
        HttpClient https = HttpClient.newBuilder().sslContext(certs.clientContext(null)).connectTimeout(Duration.ofSeconds(2)).build();
        HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        AgentNode primary = nodes.get("db1");
        URI health = URI.create("https://" + primary.address + ":8008/health");
        assertThat(https.send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        assertThatThrownBy(() -> plain.send(HttpRequest.newBuilder(URI.create("http://" + primary.address + ":8008/health"))
                .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);

        HttpRequest switchover = HttpRequest.newBuilder(URI.create("https://" + primary.address + ":8008/switchover"))
                .header("Authorization", "Bearer " + OPERATOR_TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"to\":\"db2\"}")).build();
        HttpResponse<String> answer = https.send(switchover, HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        await("db2 is primary after the switchover").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300))
                .untilAsserted(() -> assertThat(healthy("primary")).containsExactly("db2"));
        await("db1 replicates from db2 over TLS").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300))
                .untilAsserted(() -> assertThat(healthy("replica")).containsExactly("db1"));
    }
}
