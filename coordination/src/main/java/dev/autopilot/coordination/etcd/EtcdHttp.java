package dev.autopilot.coordination.etcd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.autopilot.coordination.CoordinatorSettings;
import dev.autopilot.coordination.Secret;
import dev.autopilot.coordination.support.PemTls;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * etcd's v3 HTTP/JSON gateway (served on the client port next to gRPC) over {@link HttpClient}: POST a JSON message to
 * {@code /v3/<service>/<method>}, get one JSON message back, or a stream of newline-separated ones for watches. Keys and
 * values are base64, int64s JSON strings.
 *
 * <p>Requests stay on one member until it fails, then move to the next endpoint: a connection that cannot be made is
 * tried on every other endpoint at once (nothing was sent, so that is safe for any request). With authentication, the
 * token from {@code /v3/auth/authenticate} goes in the {@code Authorization} header and is fetched again once when
 * etcd calls it invalid (expired, or the member restarted with simple tokens). The password leaves this class only in
 * that one request body.
 *
 * <p>HTTP/1.1 is pinned: etcd's TLS port offers h2 by ALPN for gRPC, and the gateway is HTTP/1.1. The client's tasks
 * run on virtual threads, so idle it keeps one platform thread (the JDK client's selector).
 */
final class EtcdHttp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EtcdHttp.class);

    /** etcd answered with an error that repeating will not change (not found, permission denied, bad password...). */
    static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int code;

        Refused(int code, String message) {
            super(message);
            this.code = code;
        }

        /** The gRPC status code etcd gave. */
        int code() {
            return code;
        }
    }

    /** No connection could be made to any endpoint: the request provably never reached etcd. */
    static final class NotSent extends IOException {
        private static final long serialVersionUID = 1L;

        NotSent(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** An open watch stream: its messages one per line, and the endpoint it came from. */
    record Stream(InputStream body, int endpoint) {
    }

    static final ObjectMapper JSON = new ObjectMapper();
    /** gRPC codes that are etcd's answer, not a failure to answer. */
    private static final List<Integer> ANSWERS = List.of(3, 5, 6, 7, 9, 11, 16); // invalid arg, not found, exists, denied, precondition, range, unauthenticated
    private static final int UNAUTHENTICATED = 16;

    private final List<URI> endpoints;
    private final ExecutorService tasks = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("etcd-http-", 0).factory());
    private final HttpClient client;
    private final Optional<String> user;
    private final Optional<Secret> password;
    private final AtomicInteger current = new AtomicInteger();
    /** nanoTime of each endpoint's last answer: a member that answers requests needs no separate liveness check. */
    private final AtomicLongArray answeredAt;
    private volatile String token;

    /**
     * A TLS context with no keys and no trust, for a client whose endpoints are all plain HTTP: the JDK's
     * {@code HttpClient} otherwise builds the default context when it is created, parsing the ~150 CA certificates
     * of {@code cacerts} and loading the TLS classes, ~1 MB of heap and class metadata the agent keeps for nothing.
     */
    private static SSLContext noTrust() {
        try {
            SSLContext c = SSLContext.getInstance("TLS");
            c.init(new KeyManager[0], new TrustManager[0], null);
            return c;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no TLS context: " + e.getMessage(), e);
        }
    }

    EtcdHttp(CoordinatorSettings s) {
        this.endpoints = s.endpoints();
        this.answeredAt = new AtomicLongArray(endpoints.size());
        this.user = s.user();
        this.password = s.password();
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(tasks)
                .connectTimeout(Duration.ofMillis(Math.min(2000, s.requestTimeout().toMillis())));
        if (s.tls().isEmpty() && endpoints.stream().allMatch(u -> "http".equalsIgnoreCase(u.getScheme()))) {
            b.sslContext(noTrust()); // never used: without one the client loads the JDK's default context and its CA certificates
        }
        s.tls().ifPresent(t -> {
            SSLContext context = PemTls.context(t);
            b.sslContext(context);
            if (t.serverName() != null) {
                // The JDK client sends this SNI name only to IP-address endpoints (to a host name it sends the host),
                // and checks the certificate against it, then against the address.
                SSLParameters p = context.getDefaultSSLParameters();
                p.setServerNames(List.of(new SNIHostName(t.serverName())));
                b.sslParameters(p);
            }
        });
        this.client = b.build();
    }

    /**
     * One request and its answer (for the lease keep-alive stream: its first message), within {@code timeoutNanos}.
     *
     * @throws Refused      etcd's answer is an error that repeating will not change
     * @throws NotSent      no endpoint accepted a connection
     * @throws IOException  anything else: the request may or may not have been applied
     */
    JsonNode call(String path, ObjectNode body, long timeoutNanos) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        boolean authenticated = false;
        while (true) {
            if (user.isPresent() && token == null) {
                authenticate(deadline - System.nanoTime());
                authenticated = true;
            }
            try {
                return unwrapStream(send(path, body, deadline - System.nanoTime(), true));
            } catch (Refused r) {
                if (r.code() != UNAUTHENTICATED || user.isEmpty() || authenticated) {
                    throw r;
                }
                token = null; // the token expired or the member forgot it: once more with a new one
                authenticated = true;
                LOG.info("etcd calls the auth token invalid ({}); authenticating again as {}", r.getMessage(), user.get());
            }
        }
    }

    /** Opens a streaming request (a watch) on the current endpoint; its messages are read from {@link Stream#body()}. */
    Stream open(String path, ObjectNode body, long timeoutNanos) throws IOException, InterruptedException {
        if (user.isPresent() && token == null) {
            authenticate(timeoutNanos);
        }
        int at = current.get();
        HttpRequest.Builder r = request(endpoints.get(at), path, body, timeoutNanos, true)
                // etcd ends the watch when its member loses the leader, so a partitioned member cannot keep us waiting
                .header("Grpc-Metadata-Hasleader", "true");
        HttpResponse<InputStream> resp;
        try {
            resp = client.send(r.build(), HttpResponse.BodyHandlers.ofInputStream());
            answeredAt.set(at, System.nanoTime());
        } catch (IOException e) {
            failedOn(at);
            throw e;
        }
        if (resp.statusCode() != 200) {
            try (InputStream in = resp.body()) {
                throw error(path, resp.statusCode(), in.readAllBytes());
            }
        }
        return new Stream(resp.body(), at);
    }

    /**
     * Whether the member answers: it did within {@code recentNanos}, or it answers a cheap request now (GET /version,
     * not through raft) within {@code timeoutNanos}.
     */
    boolean answers(int endpoint, long recentNanos, long timeoutNanos) {
        if (System.nanoTime() - answeredAt.get(endpoint) < recentNanos) {
            return true; // the lock's and registrations' renewals go there twice a second: usually no extra request
        }
        try {
            HttpRequest r = HttpRequest.newBuilder(endpoints.get(endpoint).resolve("/version"))
                    .timeout(Duration.ofNanos(Math.max(1_000_000, timeoutNanos))).GET().build();
            return client.send(r, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Moves requests to the next endpoint after a failure on {@code endpoint} (unless another thread already did). */
    void failedOn(int endpoint) {
        current.compareAndSet(endpoint, (endpoint + 1) % endpoints.size());
    }

    /** The token is no longer valid; the next request authenticates again. */
    void forgetToken() {
        token = null;
    }

    private void authenticate(long timeoutNanos) throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode().put("name", user.orElseThrow());
        char[] pw = password.orElseThrow().reveal();
        try {
            body.put("password", new String(pw));
            token = send("/v3/auth/authenticate", body, timeoutNanos, false).path("token").asText();
        } finally {
            java.util.Arrays.fill(pw, '\0');
            body.removeAll();
        }
    }

    /** Sends to the current endpoint; a connection refused moves on to the next, at most once round all of them. */
    private JsonNode send(String path, ObjectNode body, long timeoutNanos, boolean withToken) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        IOException notConnected = null;
        for (int tried = 0; tried < endpoints.size(); tried++) {
            int at = current.get();
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            HttpRequest.Builder r = request(endpoints.get(at), path, body, attemptNanos(left), withToken);
            HttpResponse<byte[]> resp;
            try {
                resp = client.send(r.build(), HttpResponse.BodyHandlers.ofByteArray());
                answeredAt.set(at, System.nanoTime());
            } catch (IOException e) {
                failedOn(at);
                if (!neverConnected(e)) {
                    throw e;
                }
                notConnected = e;
                continue;
            }
            if (resp.statusCode() == 200) {
                return JSON.readTree(resp.body());
            }
            IOException failure = error(path, resp.statusCode(), resp.body());
            failedOn(at);
            throw failure;
        }
        throw new NotSent("no connection to any of " + endpoints + (notConnected == null ? "" : ": " + notConnected), notConnected);
    }

    /**
     * With several endpoints an attempt gets half the time left (at least 1 s): a member that accepts the request but
     * never answers (stopped, cut off) then leaves time to retry on another.
     */
    private long attemptNanos(long left) {
        return endpoints.size() == 1 ? left : Math.min(left, Math.max(left / 2, Duration.ofSeconds(1).toNanos()));
    }

    private HttpRequest.Builder request(URI endpoint, String path, ObjectNode body, long timeoutNanos, boolean withToken)
            throws IOException {
        HttpRequest.Builder r = HttpRequest.newBuilder(endpoint.resolve(path)).timeout(Duration.ofNanos(Math.max(1_000_000, timeoutNanos)))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
        String t = token;
        if (withToken && t != null) {
            r.header("Authorization", t);
        }
        return r;
    }

    /**
     * An error answer: {@link Refused} (thrown) for etcd's verdicts; returned, for the rest (no leader, leader changed,
     * timed out, ...), an {@link IOException}: etcd cannot serve now, worth another try, on another member.
     */
    private static IOException error(String path, int status, byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8).trim();
        JsonNode json;
        try {
            json = JSON.readTree(body);
        } catch (IOException notJson) {
            json = null;
        }
        if (json == null || !json.isObject()) { // refused by etcd's HTTP layer, before the gateway
            if (status >= 400 && status < 500) {
                throw new Refused(-1, path + ": HTTP " + status + " " + text + (text.contains("CommonName")
                        ? " (with authentication on, etcd's JSON gateway takes only client certificates without a Common Name;"
                        + " the user comes from coordination.user)" : ""));
            }
            return new IOException(path + ": HTTP " + status + " " + text);
        }
        int code = json.path("code").asInt(-1);
        String message = json.path("message").asText(json.path("error").asText(text));
        if (ANSWERS.contains(code)) {
            throw new Refused(code, message);
        }
        return new IOException(path + ": HTTP " + status + " " + message);
    }

    /** A streaming method's first message is wrapped: {@code {"result": ...}} or {@code {"error": ...}}. */
    private static JsonNode unwrapStream(JsonNode answer) throws IOException {
        if (answer.has("result")) {
            return answer.get("result");
        }
        JsonNode error = answer.get("error");
        if (error != null && error.isObject()) {
            int code = error.path("grpc_code").asInt(-1);
            String message = error.path("message").asText();
            if (ANSWERS.contains(code)) {
                throw new Refused(code, message);
            }
            throw new IOException(message);
        }
        return answer;
    }

    /** Whether the failure happened before a connection existed, so nothing was sent. */
    static boolean neverConnected(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ConnectException || c instanceof NoRouteToHostException || c instanceof HttpConnectTimeoutException
                    || c instanceof UnresolvedAddressException || c instanceof NotSent) {
                return true;
            }
        }
        return false;
    }

    static String b64(String s) {
        return b64(s.getBytes(StandardCharsets.UTF_8));
    }

    static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    /** The bytes of a base64 field; absent (etcd omits empty values) is empty. */
    static byte[] bytes(JsonNode node, String field) {
        JsonNode n = node.get(field);
        return n == null ? new byte[0] : Base64.getDecoder().decode(n.asText());
    }

    /** An int64 field (a JSON string); absent (etcd omits zeros) is 0. */
    static long int64(JsonNode node, String field) {
        JsonNode n = node.get(field);
        return n == null ? 0 : Long.parseLong(n.asText());
    }

    /** The revision in an answer's header. */
    static long revision(JsonNode answer) {
        return int64(answer.path("header"), "revision");
    }

    @Override
    public void close() {
        client.shutdownNow();
        tasks.shutdownNow();
    }
}
