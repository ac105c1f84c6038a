package dev.autopilot.agent.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.autopilot.agent.cluster.ClusterView;
import dev.autopilot.agent.config.AgentConfig;
import dev.autopilot.agent.history.HistoryEvent;
import dev.autopilot.coordination.CoordinationException;
import dev.autopilot.coordination.support.PemTls;
import dev.autopilot.mysql.auth.Secret;
import dev.autopilot.supervisor.config.Durations;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's REST API (Patroni's idea): role checks for load balancers ({@code /health}, {@code /primary},
 * {@code /replica}; GET and HEAD), the topology ({@code /cluster}), the cluster's history ({@code /history}), the web
 * console ({@code /ui}, {@link Console}), Prometheus meters ({@code /metrics}), and
 * operator requests ({@code POST /switchover, /failover, /pause, /resume, /backup, /restore}) and a primary's failsafe
 * request to its peers ({@code POST /failsafe}), which need the
 * cluster token as {@code Authorization: Bearer <token>}: without it the answer is 401 and nothing happens.
 * Plain HTTP, or HTTPS when given an {@link SSLContext}. One virtual thread per request.
 *
 * <p>Hostile input: a request must arrive within {@value #REQUEST_SECONDS} s of connecting and be answered within
 * {@value #RESPONSE_SECONDS} s, at most {@value #MAX_CONNECTIONS} connections are open at once (more are closed at
 * once), bodies are at most 64 KiB of JSON whose fields are strings or booleans, and the errors of members shown to
 * anyone who asks ({@code /cluster}, role checks) are cut to one short line. The time and connection limits are
 * settings of the JDK's HTTP server, which apply to the whole JVM; they are set here unless given with {@code -D}.
 */
public final class RestApi implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RestApi.class);
    private static final int MAX_BODY = 64 * 1024;
    static final int REQUEST_SECONDS = 10;
    static final int RESPONSE_SECONDS = 120;
    static final int MAX_CONNECTIONS = 128;

    static {
        // Read once, when the JDK's server first loads: before any HttpServer of this process exists.
        System.getProperties().putIfAbsent("sun.net.httpserver.maxReqTime", Integer.toString(REQUEST_SECONDS));
        System.getProperties().putIfAbsent("sun.net.httpserver.maxRspTime", Integer.toString(RESPONSE_SECONDS));
        System.getProperties().putIfAbsent("jdk.httpserver.maxConnections", Integer.toString(MAX_CONNECTIONS));
    }

    private enum State { LATENT, STARTED, CLOSED }

    private final AgentControl agent;
    private final InetSocketAddress bind;
    private final ApiToken token;
    private final Optional<SSLContext> tls;
    private final RoleProbe probe;
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private volatile BackupRequests backups;
    private HttpServer server;
    private ExecutorService executor;

    /**
     * The API of {@code agent} on {@code api.address:api.port}: HTTPS with {@code api.tls}'s certificate when set, else
     * plain HTTP; {@code POST} calls must present {@code operatorToken}.
     */
    public RestApi(AgentControl agent, AgentConfig.Api api, Secret operatorToken) {
        this(agent, new InetSocketAddress(api.address(), api.port()), operatorToken,
                api.tls().map(t -> PemTls.context(t.caFile(), t.certFile(), t.keyFile(), "api.tls")));
    }

    /** The API on {@code bind} (port 0: any free port), HTTPS when {@code tls} is present. */
    public RestApi(AgentControl agent, InetSocketAddress bind, Secret clusterToken, Optional<SSLContext> tls) {
        this.agent = agent;
        this.bind = bind;
        this.token = new ApiToken(clusterToken.reveal());
        this.tls = tls;
        this.probe = new RoleProbe(agent);
    }

    /** Plugs in the snapshot feature; until then the backup endpoints answer 501. */
    public RestApi withBackups(BackupRequests requests) {
        this.backups = requests;
        return this;
    }

    /**
     * Binds and serves. Returns this, so {@code new RestApi(...).start()} can be kept for {@link #close()}.
     *
     * @throws UncheckedIOException when the address cannot be bound, naming it and the setting to change
     */
    public RestApi start() {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            throw new IllegalStateException("REST API of " + agent.memberName() + " was already started (state " + state.get() + ")");
        }
        try {
            if (tls.isPresent()) {
                HttpsServer https = HttpsServer.create(bind, 64);
                https.setHttpsConfigurator(new HttpsConfigurator(tls.get()));
                server = https;
            } else {
                server = HttpServer.create(bind, 64);
            }
        } catch (IOException e) {
            state.set(State.CLOSED);
            throw new UncheckedIOException("REST API cannot listen on " + bind.getHostString() + ":" + bind.getPort() + " ("
                    + e.getMessage() + "); stop what listens there or change api.address / api.port", e);
        }
        executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("rest-api-" + agent.memberName() + "-", 0).factory());
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
        LOG.info("{}: REST API on {}://{}:{}", agent.memberName(), tls.isPresent() ? "https" : "http", bind.getHostString(), port());
        return this;
    }

    /** The bound port (useful when started on port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) == State.STARTED) {
            server.stop(0);
            executor.shutdownNow();
        }
    }

    private void handle(HttpExchange exchange) {
        try (exchange) {
            Reply reply;
            try {
                reply = route(exchange);
            } catch (CoordinationException e) {
                reply = Reply.message(503, "coordination store unreachable: " + e.getMessage());
            } catch (IllegalArgumentException e) {
                reply = Reply.message(400, e.getMessage());
            } catch (IllegalStateException e) {
                reply = Reply.message(409, e.getMessage());
            } catch (RuntimeException e) {
                // e.g. a request before the agent finished starting; never let a handler thread die silently
                LOG.warn("{}: {} {} failed: {}", agent.memberName(), exchange.getRequestMethod(), exchange.getRequestURI(), e.toString());
                reply = Reply.message(503, "agent not ready: " + e);
            }
            send(exchange, reply);
        } catch (IOException e) {
            LOG.debug("{}: client went away: {}", agent.memberName(), e.toString());
        }
    }

    private Reply route(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getPath();
        Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
        boolean read = method.equals("GET") || method.equals("HEAD");
        switch (path) {
            case "/ui", "/ui/", "/ui/console.css", "/ui/console.js" -> {
                if (!read) {
                    return notAllowed(exchange, "GET, HEAD");
                }
                exchange.getResponseHeaders().set("Content-Security-Policy", Console.POLICY);
                exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
                exchange.getResponseHeaders().set("Referrer-Policy", "no-referrer");
                return Console.file(path).orElseThrow();
            }
            case "/history" -> {
                if (!read) {
                    return notAllowed(exchange, "GET, HEAD");
                }
                return history(query);
            }
            case "/health", "/primary", "/replica", "/cluster", "/metrics", "/backups" -> {
                if (!read) {
                    return notAllowed(exchange, "GET, HEAD");
                }
                return switch (path) {
                    case "/health" -> probe.health(method.equals("HEAD"));
                    case "/primary" -> probe.primary(method.equals("HEAD"));
                    case "/replica" -> probe.replica(Optional.ofNullable(query.get("lag")).map(RestApi::lag), method.equals("HEAD"));
                    case "/cluster" -> cluster();
                    case "/metrics" -> Reply.text(200, "text/plain; version=0.0.4; charset=utf-8", agent.metrics().scrape());
                    default -> backups().map(b -> Reply.json(200, Map.of("snapshots", b.list()))).orElseGet(RestApi::noBackups);
                };
            }
            case "/switchover", "/failover", "/pause", "/resume", "/backup", "/restore", "/failsafe" -> {
                if (!method.equals("POST")) {
                    return notAllowed(exchange, "POST");
                }
                if (!token.accepts(exchange.getRequestHeaders().getFirst("Authorization"))) {
                    exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"autopilot\"");
                    LOG.warn("{}: refused unauthenticated POST {} from {}", agent.memberName(), path,
                            exchange.getRemoteAddress().getAddress().getHostAddress());
                    return Reply.message(401, "missing or wrong token: send the cluster token as 'Authorization: Bearer <token>'");
                }
                Map<String, String> params = new LinkedHashMap<>(body(exchange));
                params.putAll(query);
                return path.equals("/failsafe") ? failsafe(params) : mutate(path, params);
            }
            default -> {
                return Reply.message(404, "no such endpoint " + path + " (try /health, /primary, /replica, /cluster, /history, /metrics, /ui)");
            }
        }
    }

    private Reply mutate(String path, Map<String, String> params) {
        String result = switch (path) {
            case "/switchover" -> agent.switchover(Optional.ofNullable(params.get("to")).filter(s -> !s.isBlank()));
            case "/failover" -> {
                String to = params.get("to");
                if (to == null || to.isBlank()) {
                    throw new IllegalArgumentException("failover needs a target: {\"to\": \"<member>\"}");
                }
                yield agent.failover(to, Boolean.parseBoolean(params.getOrDefault("force", "false")));
            }
            case "/pause" -> {
                agent.pause(true);
                yield "cluster paused: no automatic failover until resumed";
            }
            case "/resume" -> {
                agent.pause(false);
                yield "cluster resumed: automatic failover is on";
            }
            case "/backup" -> {
                if (backups().isEmpty()) {
                    yield null;
                }
                yield backups().get().backup();
            }
            default -> {
                if (backups().isEmpty()) {
                    yield null;
                }
                yield backups().get().restore(params.getOrDefault("snapshot", ""));
            }
        };
        if (result == null) {
            return noBackups();
        }
        LOG.info("{}: POST {}: {}", agent.memberName(), path, result);
        return Reply.message(200, result);
    }

    /**
     * A primary leading without the store asks this member not to take the leader lock for a window:
     * {@code {"primary": "db1", "windowMillis": 4000}}. 200 is the promise; not logged per request (one a loop interval).
     */
    private Reply failsafe(Map<String, String> params) {
        String window = params.getOrDefault("windowMillis", "");
        if (!window.matches("\\d{1,9}")) {
            throw new IllegalArgumentException("failsafe: windowMillis must be a number of milliseconds, got '" + window + "'");
        }
        return Reply.message(200, agent.confirmFailsafe(params.getOrDefault("primary", ""), Duration.ofMillis(Long.parseLong(window))));
    }

    private Optional<BackupRequests> backups() {
        return Optional.ofNullable(backups);
    }

    private static Reply noBackups() {
        return Reply.message(501, "snapshots are not available on this agent yet (the snapshot feature is not installed in this build)");
    }

    private Reply cluster() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("answeredBy", agent.memberName());
        Optional<ClusterView> current = agent.currentCluster();
        Optional<ClusterView> view = current.or(agent::cluster);
        if (view.isEmpty()) {
            json.put("error", "agent starting: the cluster has not been read yet");
            return Reply.json(503, json);
        }
        ClusterView v = view.get();
        json.put("stale", current.isEmpty()); // the store did not answer: the HA loop's last reading
        json.put("leader", v.leader().orElse(null));
        json.put("paused", v.paused());
        json.put("switchover", v.switchover().orElse(null));
        json.put("lastPromotion", v.lastPromotion().orElse(null));
        json.put("initializedBy", v.initializedBy().orElse(null));
        json.put("members", v.members().values().stream().map(m -> {
            ObjectNode node = Reply.JSON.valueToTree(m);
            return node.put("lastError", PublicText.of(m.lastError()));
        }).toList());
        json.put("roster", v.roster());
        return Reply.json(200, json);
    }

    /**
     * {@code GET /history?since=1h&member=db2}: the cluster's events, oldest first. {@code since} is a duration back from
     * now in the configuration's grammar, or epoch milliseconds; messages and text details are cut like member errors.
     */
    private Reply history(Map<String, String> query) {
        long since = Optional.ofNullable(query.get("since")).filter(s -> !s.isBlank()).map(RestApi::since).orElse(0L);
        Optional<String> member = Optional.ofNullable(query.get("member")).filter(s -> !s.isBlank());
        int limit = Optional.ofNullable(query.get("limit")).filter(s -> !s.isBlank()).map(RestApi::limit).orElse(Integer.MAX_VALUE);
        List<HistoryEvent> all = agent.history(since, member);
        var events = all.subList(Math.max(0, all.size() - limit), all.size()).stream().map(e -> {
            Map<String, Object> details = new LinkedHashMap<>();
            e.details().forEach((k, v) -> details.put(PublicText.of(k), v instanceof String text ? PublicText.of(text) : v));
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("atMillis", e.atMillis());
            json.put("at", java.time.Instant.ofEpochMilli(e.atMillis()).toString());
            json.put("member", PublicText.of(e.member()));
            json.put("kind", PublicText.of(e.kind()));
            json.put("message", PublicText.of(e.message()));
            json.put("details", details);
            return json;
        }).toList();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("answeredBy", agent.memberName());
        json.put("events", events);
        return Reply.json(200, json);
    }

    /** {@code ?limit=}: only the newest N events (still oldest first), for a view that shows the last few. */
    static int limit(String text) {
        try {
            int n = Integer.parseInt(text.strip());
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("limit: '" + text + "' is not a positive number of events (e.g. limit=50)");
    }

    /** {@code ?since=}: epoch milliseconds (13 digits), or a duration back from now ({@code 90s}, {@code 1h}; a bare number is seconds). */
    static long since(String text) {
        String t = text.strip();
        if (t.matches("\\d{13}")) {
            return Long.parseLong(t);
        }
        try {
            return System.currentTimeMillis() - Durations.read(t.matches("\\d+") ? t + "s" : t).toMillis();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("since: " + e.getMessage().replace(Durations.EXAMPLES, "since=30m, since=1h, since=90")
                    + " or epoch milliseconds");
        }
    }

    private static Reply notAllowed(HttpExchange exchange, String allowed) {
        exchange.getResponseHeaders().set("Allow", allowed);
        return Reply.message(405, exchange.getRequestMethod() + " not allowed on " + exchange.getRequestURI().getPath()
                + " (allowed: " + allowed + ")");
    }

    private static void send(HttpExchange exchange, Reply reply) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", reply.contentType());
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.sendResponseHeaders(reply.status(), -1);
            return;
        }
        exchange.sendResponseHeaders(reply.status(), reply.body().length == 0 ? -1 : reply.body().length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(reply.body());
        }
    }

    /** {@code ?lag=} as a duration in the configuration's grammar ({@link Durations}); a bare number is seconds. */
    static Duration lag(String text) {
        String t = text.strip();
        try {
            return Durations.read(t.matches("\\d+") ? t + "s" : t);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("lag: " + e.getMessage().replace(Durations.EXAMPLES, "lag=500ms, lag=5s, lag=10"));
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "true" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.put(k, v);
        }
        return out;
    }

    /**
     * A JSON object body of string or boolean fields ({@code {"to": "db2", "force": true}}); empty body: no fields.
     * Any other value (an object, an array, a number, null) is refused: read as text it would be empty or a
     * different request than the one sent ({@code {"to": {"$ne": 1}}} would be a switchover to any member).
     */
    private static Map<String, String> body(HttpExchange exchange) throws IOException {
        byte[] bytes;
        try (InputStream in = exchange.getRequestBody()) {
            bytes = in.readNBytes(MAX_BODY + 1);
        }
        if (bytes.length > MAX_BODY) {
            throw new IllegalArgumentException("request body larger than " + MAX_BODY + " bytes");
        }
        Map<String, String> out = new LinkedHashMap<>();
        if (new String(bytes, StandardCharsets.UTF_8).isBlank()) {
            return out;
        }
        JsonNode node;
        try {
            node = Reply.JSON.readTree(bytes);
        } catch (IOException e) {
            throw new IllegalArgumentException("request body is not JSON: " + e.getMessage());
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException("request body must be a JSON object, e.g. {\"to\": \"db2\"}");
        }
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            JsonNode value = field.getValue();
            if (!value.isTextual() && !value.isBoolean()) {
                throw new IllegalArgumentException("request field '" + PublicText.of(field.getKey()) + "' must be a string or"
                        + " true/false, not " + value.getNodeType().name().toLowerCase(java.util.Locale.ROOT)
                        + ", e.g. {\"to\": \"db2\"}");
            }
            out.put(field.getKey(), value.asText());
        }
        return out;
    }
}
