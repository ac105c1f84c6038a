package dev.autopilot.cli.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.agent.cluster.MemberState;
import dev.autopilot.agent.cluster.Role;
import dev.autopilot.cli.CommandFailure;
import dev.autopilot.cli.ExitCodes;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Plain-HTTP calls to an agent, which the client makes over a socket of its own (see AgentClient#plain): what the agent
 * receives (method, path, query, token, body) and how each kind of answer reads (a fixed-length or chunked body, an
 * error status, no agent at all), as through HttpURLConnection before, but for one thing: a 401 to a POST now reads
 * with the agent's reason (HttpURLConnection, streaming the body, dropped it: "refused the operator token ()").
 */
class AgentClientPlainTest {
    private HttpServer agent;
    private URI root;
    private final List<String> received = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws IOException {
        agent = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        agent.createContext("/cluster", x -> answer(x, 200, "{\"leader\":\"db1\",\"members\":[]}", false));
        agent.createContext("/history", x -> answer(x, 200, "{\"events\":[{\"kind\":\"promoted\"}]," + "\"pad\":\"" + "x".repeat(70_000) + "\"}", true));
        agent.createContext("/switchover", x -> {
            received.add(x.getRequestMethod() + " " + x.getRequestURI() + " " + x.getRequestHeaders().getFirst("Authorization") + " "
                    + x.getRequestHeaders().getFirst("Content-Type") + " " + new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            answer(x, 200, "{\"message\":\"switchover requested: db1 hands over to db2\"}", false);
        });
        agent.createContext("/pause", x -> answer(x, 401, "{\"error\":\"bad token\"}", false));
        agent.createContext("/resume", x -> answer(x, 409, "{\"error\":\"not paused\"}", true));
        agent.createContext("/broken", x -> answer(x, 500, "not json", false));
        agent.start();
        root = URI.create("http://" + agent.getAddress().getAddress().getHostAddress() + ":" + agent.getAddress().getPort() + "/");
    }

    @AfterEach
    void stop() {
        agent.stop(0);
    }

    private static void answer(HttpExchange x, int status, String body, boolean chunked) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        x.sendResponseHeaders(status, chunked ? 0 : bytes.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(bytes);
        }
    }

    private MemberRecord member() {
        return new MemberRecord("db1", root.getHost(), 3306, root.getPort(), 4444, Role.PRIMARY, MemberState.RUNNING, true, true, "", "", -1,
                "", "", 100, false, "", 0L, "", false, 1L);
    }

    @Test
    void getsAFixedLengthAndAChunkedAnswer() {
        AgentClient client = new AgentClient(null, Optional.empty());
        assertThat(client.get(root, "/cluster", Duration.ofSeconds(2)).path("leader").asText()).isEqualTo("db1");
        var history = client.get(root, "/history?since=0&limit=200", Duration.ofSeconds(2));
        assertThat(history.path("events").get(0).path("kind").asText()).isEqualTo("promoted");
        assertThat(history.path("pad").asText()).hasSize(70_000);
    }

    @Test
    void postsTheBodyWithTheTokenAndReturnsTheMessage() {
        AgentClient client = new AgentClient("operator-token", Optional.empty());
        assertThat(client.post(member(), "/switchover", Map.of("to", "db2"))).isEqualTo("switchover requested: db1 hands over to db2");
        assertThat(received).containsExactly("POST /switchover Bearer operator-token application/json {\"to\":\"db2\"}");
    }

    @Test
    void errorStatusesReadAsBefore() {
        AgentClient client = new AgentClient("operator-token", Optional.empty());
        assertThatThrownBy(() -> client.post(member(), "/pause", Map.of())).isInstanceOfSatisfying(CommandFailure.class, f -> {
            assertThat(f.exitCode()).isEqualTo(ExitCodes.REFUSED);
            assertThat(f.getMessage()).startsWith("agent db1 at " + root.getHost() + ":" + root.getPort() + " refused the operator token (bad token)");
        });
        assertThatThrownBy(() -> client.post(member(), "/resume", Map.of())).isInstanceOfSatisfying(CommandFailure.class, f ->
                assertThat(f.getMessage()).endsWith("refused /resume: not paused"));
        assertThatThrownBy(() -> client.get(root, "/broken", Duration.ofSeconds(2))).isInstanceOfSatisfying(CommandFailure.class, f -> {
            assertThat(f.exitCode()).isEqualTo(ExitCodes.FAILED);
            assertThat(f.getMessage()).isEqualTo("agent at " + root.getAuthority() + " answered 500 to /broken: not json");
        });
    }

    @Test
    void noAgentIsUnreachable() throws IOException {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        URI nobody = URI.create("http://" + InetAddress.getLoopbackAddress().getHostAddress() + ":" + port + "/");
        assertThatThrownBy(() -> new AgentClient(null, Optional.empty()).get(nobody, "/cluster", Duration.ofSeconds(2)))
                .isInstanceOfSatisfying(CommandFailure.class, f -> {
                    assertThat(f.exitCode()).isEqualTo(ExitCodes.UNREACHABLE);
                    assertThat(f.getMessage()).isEqualTo("agent at " + nobody.getAuthority()
                            + " unreachable (java.net.ConnectException: Connection refused); is it running?");
                });
    }
}
