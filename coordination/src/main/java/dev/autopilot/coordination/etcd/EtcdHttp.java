package dev.autopilot.coordination.etcd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.autopilot.coordination.CoordinatorSettings;
import dev.autopilot.coordination.Secret;
import dev.autopilot.coordination.support.PemTls;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import javax.net.ssl.SSLSocketFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * etcd's v3 HTTP/JSON gateway (served on the client port next to gRPC) over HTTP/1.1 keep-alive connections
 * ({@link GatewayConnection}, a few per member, reused): POST a JSON message to
 * {@code /v3/<service>/<method>}, get one JSON message back, or a stream of newline-separated ones for watches. Keys and
 * values are base64, int64s JSON strings.
 *
 * <p>Requests stay on one member until it fails, then move to the next endpoint: a connection that cannot be made is
 * tried on every other endpoint at once (nothing was sent, so that is safe for any request). With authentication, the
 * token from {@code /v3/auth/authenticate} goes in the {@code Authorization} header and is fetched again once when
 * etcd calls it invalid (expired, or the member restarted with simple tokens). The password leaves this class only in
 * that one request body.
 *
 * <p>Requests block the calling thread (the agent's are virtual threads); the client has no thread of its own. A
 * connection that failed is closed, with the member's idle ones: the next request connects afresh.
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

    /** Idle connections kept per member: the agent's concurrent requests (a cycle's read and publish, renewals). */
    private static final int IDLE_PER_MEMBER = 4;
    /** An idle connection older than this is closed, not reused: whatever is between may have dropped it. */
    private static final long MAX_IDLE_NANOS = Duration.ofSeconds(20).toNanos();
    /** Requests that may be sent again when a reused connection turns out closed before any answer: reads and renewals. */
    private static final Set<String> REPEATABLE = Set.of("/v3/kv/range", "/v3/lease/keepalive", "/v3/lease/timetolive",
            "/v3/auth/authenticate", "/version");

    private final List<URI> endpoints;
    private final GatewayConnection.Tls tls;
    private final long connectTimeoutNanos;
    private final List<Deque<GatewayConnection>> idle = new ArrayList<>();
    private final Set<GatewayConnection> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connectionsOpened = new AtomicInteger();
    private volatile boolean closed;
    private final Optional<String> user;
    private final Optional<Secret> password;
    private final AtomicInteger current = new AtomicInteger();
    /** nanoTime of each endpoint's last answer: a member that answers requests needs no separate liveness check. */
    private final AtomicLongArray answeredAt;
    private volatile String token;

    EtcdHttp(CoordinatorSettings s) {
        this.endpoints = s.endpoints();
        this.answeredAt = new AtomicLongArray(endpoints.size());
        this.user = s.user();
        this.password = s.password();
        this.connectTimeoutNanos = Duration.ofMillis(Math.min(2000, s.requestTimeout().toMillis())).toNanos();
        for (int i = 0; i < endpoints.size(); i++) {
            idle.add(new ConcurrentLinkedDeque<>());
        }
        // The configured CA and client certificate; https endpoints without TLS settings trust the JDK's CAs. The
        // server name goes as SNI to IP-address endpoints (a host name is its own SNI), and JSSE checks the
        // certificate against it, then against the address.
        if (s.tls().isPresent()) {
            this.tls = new GatewayConnection.Tls(PemTls.context(s.tls().get()).getSocketFactory(), s.tls().get().serverName());
        } else if (endpoints.stream().anyMatch(u -> "https".equalsIgnoreCase(u.getScheme()))) {
            this.tls = new GatewayConnection.Tls((SSLSocketFactory) SSLSocketFactory.getDefault(), null);
        } else {
            this.tls = null; // plain HTTP: no TLS class is loaded, no CA certificate parsed
        }
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
        long deadline = System.nanoTime() + timeoutNanos;
        GatewayConnection c = null; // a stream keeps its connection for itself: a new one, never pooled
        GatewayConnection.Opened opened;
        try {
            c = connect(at, Math.min(connectTimeoutNanos, timeoutNanos));
            // etcd ends the watch when its member loses the leader, so a partitioned member cannot keep us waiting
            opened = c.stream(path, JSON.writeValueAsBytes(body), token, "Grpc-Metadata-Hasleader: true", deadline);
            answeredAt.set(at, System.nanoTime());
        } catch (IOException e) {
            discard(c);
            failedOn(at);
            throw interruptedOr(e);
        }
        if (opened.status() != 200) {
            discard(c);
            throw error(path, opened.status(), opened.error());
        }
        GatewayConnection streaming = c;
        return new Stream(new FilterInputStream(opened.body()) {
            @Override
            public void close() {
                discard(streaming); // also ends a read blocked in the stream
            }
        }, at);
    }

    /**
     * Whether the member answers: it did within {@code recentNanos}, or it answers a cheap request now (GET /version,
     * not through raft) within {@code timeoutNanos}.
     */
    boolean answers(int endpoint, long recentNanos, long timeoutNanos) {
        if (System.nanoTime() - answeredAt.get(endpoint) < recentNanos) {
            return true; // the lock's and registrations' renewals go there twice a second: usually no extra request
        }
        long deadline = System.nanoTime() + timeoutNanos;
        try {
            return exchangeOn(take(endpoint, Math.min(connectTimeoutNanos, timeoutNanos)), "/version", null, null, deadline).status() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Moves requests to the next endpoint after a failure on {@code endpoint} (unless another thread already did), and
     * closes that member's idle connections: they most likely failed with it.
     */
    void failedOn(int endpoint) {
        current.compareAndSet(endpoint, (endpoint + 1) % endpoints.size());
        for (GatewayConnection c; (c = idle.get(endpoint).pollFirst()) != null; ) {
            discard(c);
        }
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
            GatewayConnection.Answer answer;
            try {
                answer = exchange(at, path, JSON.writeValueAsBytes(body), withToken ? token : null, System.nanoTime() + attemptNanos(left));
                answeredAt.set(at, System.nanoTime());
            } catch (IOException e) {
                if (Thread.currentThread().isInterrupted()) {
                    throw interruptedOr(e);
                }
                failedOn(at);
                if (!neverConnected(e)) {
                    throw e;
                }
                notConnected = e;
                continue;
            }
            if (answer.status() == 200) {
                return JSON.readTree(answer.body());
            }
            IOException failure = error(path, answer.status(), answer.body());
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

    /**
     * One exchange on a connection to member {@code at}: an idle one if there is, else a new one. A reused connection
     * that turns out closed before any answer although it looked open when taken (the member closed it in that instant)
     * is replaced once for a request that may be repeated; for the rest that failure is ambiguous like any other.
     */
    private GatewayConnection.Answer exchange(int at, String path, byte[] body, String authorization, long deadline)
            throws IOException {
        GatewayConnection c = take(at, Math.min(connectTimeoutNanos, deadline - System.nanoTime()));
        try {
            return exchangeOn(c, path, body, authorization, deadline);
        } catch (EOFException | SocketException e) {
            if (!c.used() || !REPEATABLE.contains(path) || Thread.currentThread().isInterrupted()) {
                throw e;
            }
        }
        return exchangeOn(connect(at, Math.min(connectTimeoutNanos, deadline - System.nanoTime())), path, body, authorization, deadline);
    }

    /** One exchange on {@code c}: kept for the next request when it succeeded, closed when it failed. */
    private GatewayConnection.Answer exchangeOn(GatewayConnection c, String path, byte[] body, String authorization, long deadline)
            throws IOException {
        try {
            GatewayConnection.Answer a = c.exchange(path, body, authorization, deadline);
            giveBack(c);
            return a;
        } catch (IOException e) {
            discard(c);
            throw e;
        }
    }

    /** An idle connection to member {@code at} that may carry another request and is still open at the other end, or a new one. */
    private GatewayConnection take(int at, long connectNanos) throws IOException {
        for (GatewayConnection c; (c = idle.get(at).pollFirst()) != null; ) {
            if (c.reusable() && c.idleNanos() < MAX_IDLE_NANOS && c.stillOpen()) {
                return c;
            }
            discard(c);
        }
        return connect(at, connectNanos);
    }

    private GatewayConnection connect(int at, long connectNanos) throws IOException {
        if (connectNanos <= 0) {
            throw new SocketTimeoutException("no time left to connect to " + endpoints.get(at));
        }
        URI uri = endpoints.get(at);
        GatewayConnection c = GatewayConnection.open(at, uri, "https".equalsIgnoreCase(uri.getScheme()) ? tls : null, connectNanos);
        open.add(c);
        connectionsOpened.incrementAndGet();
        if (closed) {
            discard(c);
            throw new IOException("the etcd client is closed");
        }
        return c;
    }

    /** How many connections this client has opened (watch streams included). */
    int connectionsOpened() {
        return connectionsOpened.get();
    }

    /** Keeps a connection whose answer was read whole for the next request (the most recent first), else closes it. */
    private void giveBack(GatewayConnection c) {
        Deque<GatewayConnection> q = idle.get(c.endpoint());
        if (!c.reusable() || closed || q.size() >= IDLE_PER_MEMBER) {
            discard(c);
            return;
        }
        q.offerFirst(c);
        GatewayConnection oldest = q.peekLast();
        if (oldest != null && oldest != c && oldest.idleNanos() > MAX_IDLE_NANOS && q.removeLastOccurrence(oldest)) {
            discard(oldest); // a burst's extra connections age out here
        }
    }

    private void discard(GatewayConnection c) {
        if (c != null) {
            open.remove(c);
            c.close();
        }
    }

    /** A blocking read interrupted on a virtual thread closes the socket: that is an interruption, not a failure. */
    private static IOException interruptedOr(IOException e) throws InterruptedException {
        if (Thread.interrupted()) {
            InterruptedException i = new InterruptedException("interrupted while waiting for etcd");
            i.initCause(e);
            throw i;
        }
        return e;
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
            if (c instanceof ConnectException || c instanceof NoRouteToHostException || c instanceof UnknownHostException
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
        closed = true;
        open.forEach(this::discard); // requests in flight fail at once, as they did with the JDK client's shutdownNow
        idle.forEach(Deque::clear);
    }
}
