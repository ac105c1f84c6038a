package dev.autopilot.agent.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autopilot.agent.cluster.MemberState;
import dev.autopilot.agent.cluster.Role;
import dev.autopilot.agent.ha.Outcome;
import dev.autopilot.agent.history.HistoryEvent;
import dev.autopilot.mysql.auth.Secret;
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The REST API over real HTTP on 127.0.7.200, in front of a stand-in agent whose readings each test sets. */
class RestApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "cluster-token-0123456789abcdef";
    private final HttpClient http = HttpClient.newHttpClient();
    private StandInAgent agent;
    private RestApi api;

    @BeforeEach
    void start() {
        agent = new StandInAgent();
        api = new RestApi(agent, new InetSocketAddress("127.0.7.200", 0), Secret.of(TOKEN), Optional.empty()).start();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private HttpResponse<String> call(String method, String path, String authorization, String body) throws Exception {
        var b = HttpRequest.newBuilder(URI.create("http://127.0.7.200:" + api.port() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private int status(String method, String path) throws Exception {
        return call(method, path, null, null).statusCode();
    }

    @Test
    void theConsoleIsServedFromTheJarWithAPolicyThatAllowsNoInlineScriptAndNothingFromElsewhere() throws Exception {
        for (String path : List.of("/ui", "/ui/console.css", "/ui/console.js")) {
            HttpResponse<String> r = call("GET", path, null, null);
            assertThat(r.statusCode()).as(path).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Security-Policy").orElseThrow()).as(path)
                    .contains("default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'")
                    .doesNotContain("unsafe-inline", "unsafe-eval", "http:", "https:");
            assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        }
        HttpResponse<String> page = call("GET", "/ui", null, null);
        assertThat(page.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/html");
        assertThat(page.body()).contains("<script src=\"/ui/console.js\" defer></script>", "/ui/console.css")
                .doesNotContain("<script>", "http://", "https://", " style=\"", "onclick");
        assertThat(call("GET", "/ui/console.js", null, null).body()).doesNotContain("innerHTML", "eval(", "localStorage")
                .contains("textContent", "sessionStorage");
        assertThat(status("POST", "/ui")).isEqualTo(405);
        assertThat(status("GET", "/ui/other.js")).isEqualTo(404);
    }

    @Test
    void historyIsReadableByAnyoneWithMemberTextCutToOnePrintableLine() throws Exception {
        agent.events = List.of(
                new HistoryEvent(1_000, "db1", "lock-taken", "db1 took the leader lock", Map.of("lockFreeMillis", 120)),
                new HistoryEvent(2_000, "db2", "fenced", "db2 fenced\n\u001b[31m<script>", Map.of("reason", "a\nb")));
        JsonNode all = JSON.readTree(call("GET", "/history", null, null).body());
        assertThat(all.path("events")).hasSize(2);
        assertThat(all.path("events").get(0).path("details").path("lockFreeMillis").asLong()).isEqualTo(120);
        assertThat(all.path("events").get(0).path("at").asText()).isEqualTo("1970-01-01T00:00:01Z");
        assertThat(all.path("events").get(1).path("message").asText()).isEqualTo("db2 fenced  [31m<script>");
        assertThat(all.path("events").get(1).path("details").path("reason").asText()).isEqualTo("a b");
        assertThat(JSON.readTree(call("GET", "/history?member=db2", null, null).body()).path("events")).hasSize(1);
        assertThat(JSON.readTree(call("GET", "/history?since=0000000001500", null, null).body()).path("events")).hasSize(1);
        assertThat(JSON.readTree(call("GET", "/history?since=1h", null, null).body()).path("events")).isEmpty();
        JsonNode newest = JSON.readTree(call("GET", "/history?limit=1", null, null).body()).path("events");
        assertThat(newest).hasSize(1);
        assertThat(newest.get(0).path("member").asText()).as("the newest event").isEqualTo("db2");
        assertThat(JSON.readTree(call("GET", "/history?limit=5", null, null).body()).path("events")).hasSize(2);
        assertThat(call("GET", "/history?limit=0", null, null)).satisfies(r -> {
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(r.body()).contains("limit:", "limit=50");
        });
        assertThat(call("GET", "/history?since=soon", null, null)).satisfies(r -> {
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(r.body()).contains("since:", "since=1h");
        });
    }

    @Test
    void primaryIs200OnlyWhileHoldingTheLockAsALeadingHealthyPrimary() throws Exception {
        assertThat(status("GET", "/primary")).as("before the first cycle").isEqualTo(503);
        agent.primary();
        assertThat(status("GET", "/primary")).isEqualTo(200);
        assertThat(status("HEAD", "/primary")).isEqualTo(200);

        agent.lock = false; // lease lost: the lock clock says no before any record changes
        assertThat(call("GET", "/primary", null, null)).satisfies(r -> {
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.body()).contains("does not hold the leader lock");
        });
        agent.primary();
        agent.writesOpen = false;
        agent.outcome = new Outcome.SteppedDown("db2");
        assertThat(status("GET", "/primary")).as("stepped down").isEqualTo(503);
        agent.primary();
        agent.record = StandInAgent.record(Role.PRIMARY, MemberState.UNHEALTHY, false, -1);
        assertThat(status("HEAD", "/primary")).as("unhealthy").isEqualTo(503);
        agent.replica(0);
        assertThat(status("HEAD", "/primary")).as("a replica").isEqualTo(503);
    }

    @Test
    void primaryIs503FromTheMomentAStepDownFencesWhileTheLockIsStillHeld() throws Exception {
        agent.primary();
        agent.writesOpen = false; // the step-down's fence has started; its lock release and its cycle's end are still to come
        assertThat(call("GET", "/primary", null, null)).satisfies(r -> {
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.body()).contains("writes are not open", "leading as primary");
        });
    }

    @Test
    void primaryIs200FromTheMomentWritesOpenBeforeTheCyclePublishesItAsPrimary() throws Exception {
        agent.replica(0);
        agent.lock = true; // took the lock and opened writes; its last record and outcome are still the replica's
        agent.writesOpen = true;
        assertThat(status("HEAD", "/primary")).isEqualTo(200);
        agent.writesOpen = false;
        assertThat(status("HEAD", "/primary")).as("lock taken, relay log still draining").isEqualTo(503);
    }

    @Test
    void replicaIs200OnAHealthyReplicaWithinTheAskedLag() throws Exception {
        agent.replica(1500);
        assertThat(status("GET", "/replica")).isEqualTo(200);
        assertThat(status("HEAD", "/replica?lag=2s")).isEqualTo(200);
        assertThat(status("GET", "/replica?lag=1")).as("1 s < 1.5 s").isEqualTo(503);
        assertThat(status("GET", "/replica?lag=1000ms")).isEqualTo(503);
        assertThat(call("GET", "/replica?lag=soon", null, null)).satisfies(r -> {
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(r.body()).contains("lag: 'soon' is not a duration");
        });
        agent.replica(-1);
        assertThat(status("GET", "/replica?lag=5s")).as("lag unknown").isEqualTo(503);
        agent.primary();
        assertThat(status("GET", "/replica")).as("the primary").isEqualTo(503);
    }

    @Test
    void healthClusterAndMetricsAnswerGetAndHead() throws Exception {
        assertThat(status("GET", "/health")).as("starting").isEqualTo(503);
        agent.primary();
        HttpResponse<String> health = call("GET", "/health", null, null);
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"role\" : \"primary\"", "\"holdsLock\" : true");
        HttpResponse<String> head = call("HEAD", "/health", null, null);
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();

        HttpResponse<String> cluster = call("GET", "/cluster", null, null);
        assertThat(cluster.statusCode()).isEqualTo(200);
        assertThat(cluster.body()).contains("\"leader\" : \"db1\"", "\"gtidPosition\" : \"0-1-42\"", "\"apiPort\" : 8008");
        assertThat(status("HEAD", "/cluster")).isEqualTo(200);

        HttpResponse<String> metrics = call("GET", "/metrics", null, null);
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain; version=0.0.4");
        assertThat(metrics.body()).contains("autopilot_test_cycles_total 3.0");
        assertThat(status("HEAD", "/metrics")).isEqualTo(200);

        agent.record = StandInAgent.record(Role.REPLICA, MemberState.UNHEALTHY, false, -1);
        assertThat(call("GET", "/health", null, null).body()).contains("no answer to SELECT 1");
        assertThat(status("HEAD", "/health")).isEqualTo(503);
    }

    @Test
    void mutatingCallsWithoutTheTokenAre401AndChangeNothing() throws Exception {
        agent.primary();
        for (String path : List.of("/switchover", "/failover", "/pause", "/resume", "/backup", "/restore")) {
            for (String auth : new String[] {null, "Bearer wrong-token", "Basic " + TOKEN, "Bearer " + TOKEN + "x", "Bearer "}) {
                HttpResponse<String> r = call("POST", path, auth, "{\"to\": \"db2\", \"force\": true}");
                assertThat(r.statusCode()).as(path + " with " + auth).isEqualTo(401);
                assertThat(r.headers().firstValue("WWW-Authenticate")).contains("Bearer realm=\"autopilot\"");
            }
        }
        assertThat(agent.requests).as("requests that reached the agent").isEmpty();
    }

    @Test
    void mutatingCallsWithTheTokenReachTheAgentAndRefusalsSayWhy() throws Exception {
        String auth = "Bearer " + TOKEN;
        HttpResponse<String> sw = call("POST", "/switchover", auth, "{\"to\": \"db2\"}");
        assertThat(sw.statusCode()).isEqualTo(200);
        assertThat(sw.body()).contains("\"message\" : \"switchover requested: db1 hands over to db2\"");
        assertThat(call("POST", "/switchover", "bearer " + TOKEN, null).statusCode()).as("scheme is case-insensitive").isEqualTo(200);
        assertThat(call("POST", "/failover?to=db3&force=true", auth, null).statusCode()).isEqualTo(200);
        assertThat(call("POST", "/pause", auth, null).statusCode()).isEqualTo(200);
        assertThat(call("POST", "/resume", auth, "").statusCode()).isEqualTo(200);
        assertThat(agent.requests).containsExactly("switchover db2", "switchover *", "failover db3 force=true", "pause", "resume");

        HttpResponse<String> noTarget = call("POST", "/failover", auth, "{}");
        assertThat(noTarget.statusCode()).isEqualTo(400);
        assertThat(noTarget.body()).contains("failover needs a target");
        assertThat(call("POST", "/switchover", auth, "[1,2]").statusCode()).isEqualTo(400);

        agent.refusal = "db2 is not a healthy replica (state UNHEALTHY, role REPLICA)";
        HttpResponse<String> refused = call("POST", "/switchover", auth, "{\"to\": \"db2\"}");
        assertThat(refused.statusCode()).isEqualTo(409);
        assertThat(refused.body()).contains("\"error\" : \"db2 is not a healthy replica");
    }

    @Test
    void backupEndpointsAnswer501UntilTheSnapshotFeatureIsPluggedIn() throws Exception {
        String auth = "Bearer " + TOKEN;
        HttpResponse<String> backup = call("POST", "/backup", auth, null);
        assertThat(backup.statusCode()).isEqualTo(501);
        assertThat(backup.body()).contains("snapshots are not available");
        assertThat(status("GET", "/backups")).isEqualTo(501);

        api.withBackups(new BackupRequests() {
            public String backup() {
                return "snapshot started on db1";
            }

            public List<Map<String, Object>> list() {
                return List.of(Map.of("id", "20261125-1200-db1"));
            }

            public String restore(String snapshotId) {
                return "restoring " + snapshotId;
            }
        });
        assertThat(call("POST", "/backup", auth, null).body()).contains("snapshot started on db1");
        assertThat(call("GET", "/backups", null, null).body()).contains("20261125-1200-db1");
        assertThat(call("POST", "/restore", auth, "{\"snapshot\": \"s1\"}").body()).contains("restoring s1");
    }

    @Test
    void wrongMethodsAndUnknownPathsAreRefusedClearly() throws Exception {
        HttpResponse<String> post = call("POST", "/primary", "Bearer " + TOKEN, null);
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).contains("GET, HEAD");
        assertThat(call("GET", "/switchover", null, null).statusCode()).isEqualTo(405);
        HttpResponse<String> unknown = call("GET", "/leader", null, null);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body()).contains("no such endpoint /leader");
    }

    @Test
    void startingTwiceOrOnABusyPortFailsWithTheSettingToChange() {
        assertThatThrownBy(api::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("already started");
        RestApi second = new RestApi(agent, new InetSocketAddress("127.0.7.200", api.port()), Secret.of(TOKEN), Optional.empty());
        assertThatThrownBy(second::start).hasMessageContaining("127.0.7.200:" + api.port()).hasMessageContaining("api.port");
    }

    @Test
    void servesHttpsWhenGivenATlsContext(@TempDir Path dir) throws Exception {
        Path keystore = dir.resolve("api.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "api", "-keyalg", "EC", "-dname", "CN=127.0.7.200", "-ext", "san=ip:127.0.7.200",
                "-validity", "2", "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass", "changeit")
                .redirectErrorStream(true).start();
        assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(keytool.exitValue()).as(new String(keytool.getInputStream().readAllBytes())).isZero();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(keystore.toFile())) {
            ks.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "changeit".toCharArray());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext server = SSLContext.getInstance("TLS");
        server.init(kmf.getKeyManagers(), null, null);
        SSLContext client = SSLContext.getInstance("TLS");
        client.init(null, tmf.getTrustManagers(), null);

        agent.primary();
        try (RestApi https = new RestApi(agent, new InetSocketAddress("127.0.7.200", 0), Secret.of(TOKEN), Optional.of(server)).start()) {
            HttpClient tlsClient = HttpClient.newBuilder().sslContext(client).build();
            HttpResponse<String> r = tlsClient.send(HttpRequest.newBuilder(URI.create("https://127.0.7.200:" + https.port() + "/primary"))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("writable primary");
        }
        assertThat(Files.exists(keystore)).isTrue();
    }

    @Test
    void failsafeRequestIsConfirmedOnlyWithTheClusterTokenAndNotLogged() {
        var peer = new dev.autopilot.agent.cluster.MemberRecord("db2", "127.0.7.200", 3306, api.port(), 4444, Role.REPLICA,
                MemberState.RUNNING, true, true, "", "", 0, "", "", 100, false, "", 0);
        long start = System.nanoTime();
        var confirmed = new dev.autopilot.agent.ha.RestFailsafePeers(Secret.of(TOKEN))
                .confirm("db1", java.util.List.of(peer), java.time.Duration.ofSeconds(4), java.time.Duration.ofSeconds(1));
        assertThat(confirmed).containsExactly("db2");
        assertThat((System.nanoTime() - start) / 1_000_000).as("round trip ms").isLessThan(1000);
        assertThat(agent.requests).containsExactly("failsafe db1 4000");

        var refused = new dev.autopilot.agent.ha.RestFailsafePeers(Secret.of("not-the-token"))
                .confirm("db1", java.util.List.of(peer), java.time.Duration.ofSeconds(4), java.time.Duration.ofSeconds(1));
        assertThat(refused).isEmpty();
        assertThat(agent.requests).containsExactly("failsafe db1 4000");
    }

    @Test
    void aSwitchoverWhoseTargetIsNotAStringIs400AndRequestsNothing() throws Exception {
        for (String body : List.of("{\"to\": {\"$ne\": 1}}", "{\"to\": [\"db2\"]}", "{\"to\": 2}", "{\"to\": null}")) {
            var reply = call("POST", "/switchover", "Bearer " + TOKEN, body);
            assertThat(reply.statusCode()).as(body).isEqualTo(400);
            assertThat(reply.body()).as(body).contains("'to'").contains("must be a string");
        }
        assertThat(agent.requests).isEmpty();
        assertThat(call("POST", "/failover", "Bearer " + TOKEN, "{\"to\": \"db2\", \"force\": true}").statusCode()).isEqualTo(200);
        assertThat(agent.requests).containsExactly("failover db2 force=true");
    }

    @Test
    void anOverflowingLagIs400NotAServerError() throws Exception {
        agent.replica(100);
        for (String lag : List.of("99999999999999999999", "9999999999999999m", "9223372036854775807s")) {
            var reply = call("GET", "/replica?lag=" + lag, null, null);
            assertThat(reply.statusCode()).as(lag).isEqualTo(400);
            assertThat(reply.body()).as(lag).contains("lag");
        }
        assertThat(status("GET", "/replica?lag=525600m")).isEqualTo(200);
    }

    @Test
    void aMemberErrorShownWithoutTheTokenIsOneShortLine() throws Exception {
        var healthy = StandInAgent.record(Role.REPLICA, MemberState.UNHEALTHY, false, -1);
        String error = "line one\n\u001b[31mline two\r" + "x".repeat(5000);
        agent.record = new dev.autopilot.agent.cluster.MemberRecord(healthy.name(), healthy.address(), healthy.mysqlPort(),
                healthy.apiPort(), healthy.clonePort(), healthy.role(), healthy.state(), false, false, healthy.gtidPosition(),
                healthy.knownGtids(), -1, healthy.serverVersion(), error, 100, false, "", 0);
        for (String path : List.of("/cluster", "/health", "/replica")) {
            String body = call("GET", path, null, null).body();
            assertThat(body).as(path).contains("line one").doesNotContain("\\n").doesNotContainIgnoringCase("\\u001b").doesNotContain("\\r")
                    .doesNotContain("x".repeat(PublicText.MAX));
        }
    }

    @Test
    void aClientThatSendsHalfARequestIsDisconnected() throws Exception {
        try (var socket = new java.net.Socket("127.0.7.200", api.port())) {
            socket.getOutputStream().write("GET /health HTTP/1.1\r\nHo".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            socket.setSoTimeout((RestApi.REQUEST_SECONDS + 20) * 1000);
            long start = System.nanoTime();
            int read;
            try {
                read = socket.getInputStream().read();
            } catch (java.net.SocketException reset) {
                read = -1;
            }
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            assertThat(read).as("closed without an answer").isEqualTo(-1);
            assertThat(seconds).isLessThanOrEqualTo(RestApi.REQUEST_SECONDS + 5L);
        }
    }

    @Test
    void connectionsBeyondTheLimitAreClosedAndServiceResumesWhenTheyGo() throws Exception {
        List<java.net.Socket> idle = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < RestApi.MAX_CONNECTIONS; i++) {
                idle.add(new java.net.Socket("127.0.7.200", api.port()));
            }
            // The server accepts and closes at once: the request fails instead of queueing behind the idle ones.
            org.awaitility.Awaitility.await("a connection beyond the limit refused").atMost(java.time.Duration.ofSeconds(5))
                    .until(() -> {
                        try {
                            status("GET", "/health");
                            return false;
                        } catch (java.io.IOException refused) {
                            return true;
                        }
                    });
        } finally {
            for (var socket : idle) {
                socket.close();
            }
        }
        org.awaitility.Awaitility.await("served again").atMost(java.time.Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> status("GET", "/health") > 0);
    }
}
