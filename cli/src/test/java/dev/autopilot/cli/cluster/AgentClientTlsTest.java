package dev.autopilot.cli.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.agent.cluster.MemberState;
import dev.autopilot.agent.cluster.Role;
import dev.autopilot.cli.CommandFailure;
import dev.autopilot.cli.ExitCodes;
import dev.autopilot.coordination.CoordinatorSettings;
import dev.autopilot.testkit.tls.TestCertificates;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI sends the operator token only to an agent that proves, over HTTPS, a certificate the cluster CA issued for
 * the address its member record names: a store writer who points a record at another host (127.0.45.1 here, serving
 * a genuine certificate of another member, or one of another CA) gets a refused connection and no token.
 */
class AgentClientTlsTest {
    private static final String TOKEN = "operator-token-0123456789";
    private static final String ADDRESS = "127.0.45.1";

    @TempDir
    static Path dir;
    private static TestCertificates cluster;
    private static TestCertificates foreign;

    private HttpsServer server;
    private final List<String> received = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void certificates() {
        cluster = TestCertificates.create(dir.resolve("cluster"), ADDRESS, "127.0.45.2");
        foreign = TestCertificates.create(dir.resolve("foreign"), ADDRESS);
    }

    /** An HTTPS "agent" on 127.0.45.1 serving {@code certificate}, recording the Authorization header it gets. */
    private MemberRecord agentServing(SSLContext certificate) throws Exception {
        server = HttpsServer.create(new InetSocketAddress(ADDRESS, 0), 8);
        server.setHttpsConfigurator(new HttpsConfigurator(certificate));
        server.createContext("/", exchange -> {
            received.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            byte[] body = "{\"message\":\"switchover requested\"}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return new MemberRecord("db1", ADDRESS, 3306, server.getAddress().getPort(), 4444, Role.PRIMARY, MemberState.RUNNING,
                true, true, "", "", 0, "", "", 100, false, "", 0);
    }

    private static AgentClient client() {
        var target = new ClusterTarget(CoordinatorSettings.etcd("c", List.of(URI.create("http://127.0.45.9:2379"))), List.of(),
                Optional.of(cluster.caFile()));
        return target.client(TOKEN);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void theTokenGoesToAnAgentWhoseCertificateTheClusterCaIssuedForItsAddress() throws Exception {
        MemberRecord agent = agentServing(cluster.clientContext(ADDRESS));
        assertThat(client().post(agent, "/switchover", Map.of())).isEqualTo("switchover requested");
        assertThat(received).containsExactly("Bearer " + TOKEN);
    }

    @Test
    void aCertificateIssuedForAnotherMembersAddressGetsNoToken() throws Exception {
        MemberRecord agent = agentServing(cluster.clientContext("127.0.45.2"));
        assertThatThrownBy(() -> client().post(agent, "/switchover", Map.of())).isInstanceOfSatisfying(CommandFailure.class,
                f -> assertThat(f.exitCode()).isEqualTo(ExitCodes.UNREACHABLE));
        assertThat(received).isEmpty();
    }

    @Test
    void aCertificateOfAnotherCaGetsNoToken() throws Exception {
        MemberRecord agent = agentServing(foreign.clientContext(ADDRESS));
        assertThatThrownBy(() -> client().post(agent, "/switchover", Map.of())).isInstanceOf(CommandFailure.class);
        assertThat(received).isEmpty();
    }
}
