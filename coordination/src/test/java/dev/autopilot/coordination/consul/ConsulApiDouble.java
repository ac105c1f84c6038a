package dev.autopilot.coordination.consul;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * An in-process HTTP server that answers the part of Consul's HTTP API the backend uses, as Consul's API
 * documentation specifies it (developer.hashicorp.com/consul/api-docs: agent/service, agent/check, health,
 * session, kv, blocking queries). One raft-like index for every change; blocking queries wait until the index
 * passes the one asked for or {@code wait} runs out; TTL checks turn critical, sessions tied to them are
 * invalidated, session TTLs are bounded to 10 s..24 h, {@code Behavior=delete} deletes held keys, an invalidated
 * session's {@code LockDelay} (default 15 s, at most 60 s) refuses {@code ?acquire=} on the keys it held, ACL token
 * checked from {@code X-Consul-Token}. Every request is recorded for request/response assertions.
 *
 * <p>Not Consul: no raft, no gossip, no 2×TTL grace. It proves our client speaks the documented protocol; the same
 * conformance suite runs against a real agent when CONSUL_HTTP_ADDR is set.
 */
final class ConsulApiDouble implements AutoCloseable {

    /** A recorded request; {@code atNanos}: {@link System#nanoTime()} when it arrived. */
    record Request(String method, String path, Map<String, String> query, String body, String token, long atNanos) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private record Kv(String key, byte[] value, long createIndex, long modifyIndex, long lockIndex, String session) {
    }

    private record Service(JsonNode definition, String checkId, long ttlNanos) {
    }

    private static final class Check {
        String status;
        long ttlNanos;
        long passedAt;
    }

    private static final class Session {
        String id;
        long ttlNanos; // 0: no TTL
        long renewedAt;
        String behavior;
        long lockDelayNanos;
        List<String> checks = new ArrayList<>();
    }

    private final HttpServer server;
    private final String token;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final TreeMap<String, Kv> kv = new TreeMap<>();
    private final Map<String, Service> services = new LinkedHashMap<>();
    private final Map<String, Check> checks = new HashMap<>();
    private final Map<String, Session> sessions = new HashMap<>();
    /** Key → nanoTime until which {@code ?acquire=} is refused (lock delay of an invalidated session). */
    private final Map<String, Long> lockDelays = new HashMap<>();
    private final Thread reaper;
    private long index = 1;
    private final Object answering = new Object();
    private boolean stalled;

    /** Starts on {@code address}, ephemeral port; {@code token} non-null makes every request need it. */
    ConsulApiDouble(String address, String token) throws IOException {
        this.token = token;
        server = HttpServer.create(new InetSocketAddress(address, 0), 64);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
        reaper = Thread.ofPlatform().daemon().name("consul-double-ttl").start(this::reap);
    }

    URI uri() {
        return URI.create("http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort());
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    /** Stops answering: every request hangs (as behind a dead network) until {@link #answerAgain()}. */
    void stopAnswering() {
        synchronized (answering) {
            stalled = true;
        }
    }

    /** Answers again, the held requests included. */
    void answerAgain() {
        synchronized (answering) {
            stalled = false;
            answering.notifyAll();
        }
    }

    private void awaitAnswering() throws InterruptedException {
        synchronized (answering) {
            while (stalled) {
                answering.wait();
            }
        }
    }

    @Override
    public void close() {
        answerAgain();
        reaper.interrupt();
        server.stop(0);
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Map<String, String> q = query(ex.getRequestURI().getRawQuery());
            String path = ex.getRequestURI().getPath();
            String tok = ex.getRequestHeaders().getFirst("X-Consul-Token");
            requests.add(new Request(ex.getRequestMethod(), path, q, body, tok, System.nanoTime()));
            awaitAnswering();
            if (token != null && !token.equals(tok) && !path.startsWith("/v1/status/")) { // status needs no ACL
                reply(ex, 403, "Permission denied", 0);
                return;
            }
            route(ex, ex.getRequestMethod(), path, q, body);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            reply(ex, 500, e.getMessage(), 0);
        }
    }

    private void route(HttpExchange ex, String method, String path, Map<String, String> q, String body)
            throws IOException, InterruptedException {
        if (path.equals("/v1/status/leader")) {
            reply(ex, 200, "\"127.0.0.1:8300\"", 0);
        } else if (path.equals("/v1/agent/service/register") && method.equals("PUT")) {
            register(JSON.readTree(body));
            reply(ex, 200, "", 0);
        } else if (path.startsWith("/v1/agent/service/deregister/") && method.equals("PUT")) {
            deregister(path.substring("/v1/agent/service/deregister/".length()));
            reply(ex, 200, "", 0);
        } else if (path.startsWith("/v1/agent/check/") && method.equals("PUT")) {
            String rest = path.substring("/v1/agent/check/".length());
            String action = rest.substring(0, rest.indexOf('/'));
            boolean known = setCheck(rest.substring(action.length() + 1), action.equals("pass") ? "passing" : "critical");
            reply(ex, known ? 200 : 404, known ? "" : "Unknown check ID", 0);
        } else if (path.startsWith("/v1/health/service/") && method.equals("GET")) {
            long idx = block(q);
            reply(ex, 200, health(path.substring("/v1/health/service/".length()), q.containsKey("passing")), idx);
        } else if (path.equals("/v1/session/create") && method.equals("PUT")) {
            reply(ex, 200, createSession(JSON.readTree(body.isEmpty() ? "{}" : body)), index());
        } else if (path.startsWith("/v1/session/renew/") && method.equals("PUT")) {
            String s = renew(path.substring("/v1/session/renew/".length()));
            reply(ex, s == null ? 404 : 200, s == null ? "Session id not found" : s, index());
        } else if (path.startsWith("/v1/session/destroy/") && method.equals("PUT")) {
            destroy(path.substring("/v1/session/destroy/".length()));
            reply(ex, 200, "true", index());
        } else if (path.startsWith("/v1/session/info/") && method.equals("GET")) {
            reply(ex, 200, sessionInfo(path.substring("/v1/session/info/".length())), index());
        } else if (path.startsWith("/v1/kv/")) {
            kv(ex, method, URLDecoder.decode(path.substring("/v1/kv/".length()), StandardCharsets.UTF_8), q, body);
        } else {
            reply(ex, 404, "no such endpoint in the double: " + method + " " + path, 0);
        }
    }

    // ---- agent services and checks

    private synchronized void register(JsonNode def) {
        String id = def.path("ID").asText(def.path("Name").asText());
        JsonNode check = def.path("Check");
        String checkId = check.path("CheckID").asText("service:" + id);
        long ttl = duration(check.path("TTL").asText("0s"));
        services.put(id, new Service(def, checkId, ttl));
        Check c = new Check();
        c.status = check.path("Status").asText("critical");
        c.ttlNanos = ttl;
        c.passedAt = System.nanoTime();
        checks.put(checkId, c);
        changed();
    }

    private synchronized void deregister(String id) {
        Service s = services.remove(id);
        if (s != null) {
            checks.remove(s.checkId());
            invalidateSessionsOf(s.checkId());
            changed();
        }
    }

    private synchronized boolean setCheck(String checkId, String status) {
        Check c = checks.get(checkId);
        if (c == null) {
            return false;
        }
        if (status.equals("passing")) {
            c.passedAt = System.nanoTime();
        }
        if (!c.status.equals(status)) {
            c.status = status;
            if (status.equals("critical")) {
                invalidateSessionsOf(checkId);
            }
            changed();
        }
        return true;
    }

    private synchronized String health(String name, boolean passingOnly) {
        ArrayNode out = JSON.createArrayNode();
        services.forEach((id, s) -> {
            if (!s.definition().path("Name").asText().equals(name)) {
                return;
            }
            Check c = checks.get(s.checkId());
            if (passingOnly && !"passing".equals(c.status)) {
                return;
            }
            ObjectNode e = out.addObject();
            e.putObject("Node").put("Node", "double").put("Address", "127.0.0.1");
            ObjectNode svc = e.putObject("Service");
            svc.put("ID", id).put("Service", name).put("Address", s.definition().path("Address").asText())
                    .put("Port", s.definition().path("Port").asInt());
            svc.set("Tags", s.definition().path("Tags").isMissingNode() ? JSON.createArrayNode() : s.definition().path("Tags"));
            svc.set("Meta", s.definition().path("Meta").isMissingNode() ? JSON.createObjectNode() : s.definition().path("Meta"));
            e.putArray("Checks").addObject().put("CheckID", s.checkId()).put("Status", c.status);
        });
        return out.toString();
    }

    // ---- sessions

    private synchronized String createSession(JsonNode def) {
        Session s = new Session();
        s.id = UUID.randomUUID().toString();
        String ttl = def.path("TTL").asText("");
        if (!ttl.isEmpty()) {
            s.ttlNanos = duration(ttl);
            if (s.ttlNanos < 10_000_000_000L || s.ttlNanos > 86_400_000_000_000L) {
                throw new IllegalArgumentException("Invalid Session TTL '" + s.ttlNanos + "', must be between [10s=24h0m0s]");
            }
        }
        s.behavior = def.path("Behavior").asText("release");
        s.lockDelayNanos = Math.min(duration(def.path("LockDelay").asText("15s")), 60_000_000_000L);
        JsonNode listed = def.path("Checks");
        if (listed.isMissingNode()) {
            s.checks.add("serfHealth");
        } else {
            listed.forEach(c -> s.checks.add(c.asText()));
        }
        for (String c : s.checks) {
            if (!c.equals("serfHealth") && (!checks.containsKey(c) || checks.get(c).status.equals("critical"))) {
                throw new IllegalArgumentException("Check '" + c + "' is in critical state");
            }
        }
        s.renewedAt = System.nanoTime();
        sessions.put(s.id, s);
        changed();
        return "{\"ID\":\"" + s.id + "\"}";
    }

    private synchronized String renew(String id) {
        Session s = sessions.get(id);
        if (s == null) {
            return null;
        }
        s.renewedAt = System.nanoTime();
        return sessionInfo(id);
    }

    private synchronized String sessionInfo(String id) {
        Session s = sessions.get(id);
        if (s == null) {
            return "[]";
        }
        ArrayNode a = JSON.createArrayNode();
        ObjectNode n = a.addObject().put("ID", s.id).put("Behavior", s.behavior).put("TTL", s.ttlNanos == 0 ? "" : (s.ttlNanos / 1_000_000_000L) + "s");
        ArrayNode c = n.putArray("Checks");
        s.checks.forEach(c::add);
        return a.toString();
    }

    private synchronized void destroy(String id) {
        Session s = sessions.remove(id);
        if (s != null) {
            invalidate(s);
        }
    }

    private void invalidateSessionsOf(String checkId) {
        for (Session s : List.copyOf(sessions.values())) {
            if (s.checks.contains(checkId)) {
                sessions.remove(s.id);
                invalidate(s);
            }
        }
    }

    private void invalidate(Session s) {
        long now = System.nanoTime();
        for (Iterator<Kv> it = kv.values().iterator(); it.hasNext(); ) {
            Kv e = it.next();
            if (s.id.equals(e.session())) {
                if (s.lockDelayNanos > 0) {
                    lockDelays.put(e.key(), now + s.lockDelayNanos);
                }
                if (s.behavior.equals("delete")) {
                    it.remove();
                } else {
                    kv.put(e.key(), new Kv(e.key(), e.value(), e.createIndex(), index + 1, e.lockIndex(), null));
                }
            }
        }
        changed();
    }

    private void reap() {
        while (!Thread.currentThread().isInterrupted()) {
            synchronized (this) {
                long now = System.nanoTime();
                checks.forEach((id, c) -> {
                    if (c.ttlNanos > 0 && c.status.equals("passing") && now - c.passedAt > c.ttlNanos) {
                        c.status = "critical";
                        invalidateSessionsOf(id);
                        changed();
                    }
                });
                for (Session s : List.copyOf(sessions.values())) {
                    if (s.ttlNanos > 0 && now - s.renewedAt > s.ttlNanos) {
                        sessions.remove(s.id);
                        invalidate(s);
                    }
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    // ---- kv

    private void kv(HttpExchange ex, String method, String key, Map<String, String> q, String body) throws IOException, InterruptedException {
        switch (method) {
            case "GET" -> {
                long idx = block(q);
                String answer = kvRead(key, q.containsKey("recurse"));
                reply(ex, answer == null ? 404 : 200, answer == null ? "" : answer, idx);
            }
            case "PUT" -> reply(ex, 200, Boolean.toString(kvWrite(key, q, body.getBytes(StandardCharsets.UTF_8))), index());
            case "DELETE" -> reply(ex, 200, Boolean.toString(kvDelete(key, q)), index());
            default -> reply(ex, 405, "method not allowed", 0);
        }
    }

    private synchronized String kvRead(String key, boolean recurse) {
        ArrayNode out = JSON.createArrayNode();
        for (Kv e : recurse ? kv.tailMap(key, true).values() : kv.containsKey(key) ? List.of(kv.get(key)) : List.<Kv>of()) {
            if (!e.key().startsWith(key)) {
                break;
            }
            ObjectNode n = out.addObject().put("Key", e.key()).put("CreateIndex", e.createIndex()).put("ModifyIndex", e.modifyIndex())
                    .put("LockIndex", e.lockIndex()).put("Flags", 0);
            if (e.value().length == 0) {
                n.putNull("Value");
            } else {
                n.put("Value", Base64.getEncoder().encodeToString(e.value()));
            }
            if (e.session() != null) {
                n.put("Session", e.session());
            }
        }
        return out.isEmpty() ? null : out.toString();
    }

    private synchronized boolean kvWrite(String key, Map<String, String> q, byte[] value) {
        Kv old = kv.get(key);
        long next = index + 1;
        if (q.containsKey("cas")) {
            long cas = Long.parseLong(q.get("cas"));
            if (cas == 0 ? old != null : old == null || old.modifyIndex() != cas) {
                return false;
            }
        }
        String session = old == null ? null : old.session();
        long lockIndex = old == null ? 0 : old.lockIndex();
        if (q.containsKey("acquire")) {
            String s = q.get("acquire");
            if (!sessions.containsKey(s)) {
                throw new IllegalArgumentException("invalid session \"" + s + "\"");
            }
            if (session != null && !session.equals(s)) {
                return false;
            }
            Long delayedUntil = lockDelays.get(key);
            if (session == null && delayedUntil != null && System.nanoTime() - delayedUntil < 0) {
                return false; // Consul: "lock-delay" after the previous holder's session was invalidated
            }
            if (session == null) {
                lockIndex++;
            }
            session = s;
        } else if (q.containsKey("release")) {
            if (session == null || !session.equals(q.get("release"))) {
                return false;
            }
            session = null;
        }
        kv.put(key, new Kv(key, value, old == null ? next : old.createIndex(), next, lockIndex, session));
        changed();
        return true;
    }

    private synchronized boolean kvDelete(String key, Map<String, String> q) {
        if (q.containsKey("cas")) {
            Kv old = kv.get(key);
            if (old == null || old.modifyIndex() != Long.parseLong(q.get("cas"))) {
                return false;
            }
        }
        if (q.containsKey("recurse")) {
            kv.keySet().removeIf(k -> k.startsWith(key));
        } else {
            kv.remove(key);
        }
        changed();
        return true;
    }

    // ---- blocking queries and helpers

    private synchronized void changed() {
        index++;
        notifyAll();
    }

    private synchronized long index() {
        return index;
    }

    /** Waits while the index is not past {@code ?index=}, up to {@code ?wait=} (default 5 min, as Consul). */
    private synchronized long block(Map<String, String> q) throws InterruptedException {
        if (q.containsKey("index")) {
            long asked = Long.parseLong(q.get("index"));
            long end = System.nanoTime() + (q.containsKey("wait") ? duration(q.get("wait")) : 300_000_000_000L);
            while (index <= asked) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                wait(Math.max(1, left / 1_000_000));
            }
        }
        return index;
    }

    private static void reply(HttpExchange ex, int status, String body, long idx) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        if (idx > 0) {
            ex.getResponseHeaders().add("X-Consul-Index", Long.toString(idx));
        }
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
        if (b.length > 0) {
            ex.getResponseBody().write(b);
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new LinkedHashMap<>();
        if (raw != null) {
            for (String p : raw.split("&")) {
                int eq = p.indexOf('=');
                q.put(URLDecoder.decode(eq < 0 ? p : p.substring(0, eq), StandardCharsets.UTF_8),
                        eq < 0 ? "" : URLDecoder.decode(p.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return q;
    }

    /** Go duration strings as Consul takes them: 10s, 500ms, 1m. */
    static long duration(String s) {
        if (s.endsWith("ms")) {
            return Long.parseLong(s.substring(0, s.length() - 2)) * 1_000_000L;
        }
        long unit = switch (s.charAt(s.length() - 1)) {
            case 's' -> 1_000_000_000L;
            case 'm' -> 60_000_000_000L;
            case 'h' -> 3_600_000_000_000L;
            default -> throw new IllegalArgumentException("bad duration " + s);
        };
        return Long.parseLong(s.substring(0, s.length() - 1)) * unit;
    }
}
