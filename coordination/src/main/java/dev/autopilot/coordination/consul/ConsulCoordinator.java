package dev.autopilot.coordination.consul;

import com.fasterxml.jackson.databind.JsonNode;
import dev.autopilot.coordination.CoordinationException;
import dev.autopilot.coordination.Coordinator;
import dev.autopilot.coordination.CoordinatorSettings;
import dev.autopilot.coordination.LeaderLock;
import dev.autopilot.coordination.LeaseLostListener;
import dev.autopilot.coordination.Member;
import dev.autopilot.coordination.MemberRegistration;
import dev.autopilot.coordination.Versioned;
import dev.autopilot.coordination.Watch;
import dev.autopilot.coordination.WatchListener;
import dev.autopilot.coordination.support.Retrier;
import dev.autopilot.coordination.support.Scope;
import dev.autopilot.coordination.support.StoreHealth;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Coordinator} on Consul's HTTP API, talking to one (normally the local) agent.
 *
 * <ul>
 *   <li>Members: agent services named {@code <cluster>-<service>}, ID {@code <cluster>-<service>-<member>}, with a
 *       TTL check {@code service:<id>} set by {@code /v1/agent/check/pass|fail}; listed with
 *       {@code /v1/health/service/<name>?passing}.</li>
 *   <li>Keys: {@code /v1/kv/<scope><key>} (scope without the leading slash), compare-and-set with {@code ?cas=}.</li>
 *   <li>Locks: a session with TTL, {@code Behavior=delete}, {@code LockDelay=0s}, and {@code ?acquire=}.</li>
 *   <li>Watches: blocking queries ({@code ?index=&wait=}), diffed against the previous answer.</li>
 * </ul>
 * Consul bounds session TTLs to 10 s..24 h and may keep a session up to twice its TTL, so fail-over through
 * Consul is slower than through etcd; the holder-side deadline still uses the requested TTL.
 */
public final class ConsulCoordinator implements Coordinator {

    private static final Logger LOG = LoggerFactory.getLogger(ConsulCoordinator.class);

    /** Compare-and-set rounds of a put before it gives up on a key that keeps changing. */
    private static final int GUARDED_WRITE_ATTEMPTS = 5;

    private final CoordinatorSettings settings;
    private final ConsulHttp http;
    private final Scope scope;
    private final StoreHealth health;
    private final Retrier retrier;
    private final Set<AutoCloseable> open = ConcurrentHashMap.newKeySet();

    private ConsulCoordinator(CoordinatorSettings settings) {
        this.settings = settings;
        this.http = new ConsulHttp(settings);
        this.scope = new Scope(settings.scope().substring(1));
        this.health = new StoreHealth("consul " + settings.endpoints().getFirst() + " scope " + settings.scope());
        this.retrier = new Retrier(health, settings.requestTimeout(), t -> t instanceof ConsulHttp.Refused);
    }

    /** Connects and asks the agent for the cluster leader, retrying up to the startup timeout. */
    public static ConsulCoordinator open(CoordinatorSettings settings) {
        ConsulCoordinator c = new ConsulCoordinator(settings);
        try {
            c.retrier.call("read /v1/status/leader at startup", settings.startupTimeout(), ConsulHttp.RETRYABLE,
                    left -> c.http.send("GET", "/v1/status/leader", null, Math.min(left, 2_000_000_000L)));
        } catch (CoordinationException e) {
            boolean refused = e.getMessage().contains(" refused: ");
            throw new CoordinationException("consul " + (refused ? "refused the connection at startup: " : "unreachable at startup: ") + e.getMessage()
                    + " (coordination.endpoints=" + settings.endpoints() + ")", e.getCause());
        }
        LOG.info("connected to consul {} for cluster scope {}", settings.endpoints().getFirst(), settings.scope());
        return c;
    }

    ConsulHttp http() {
        return http;
    }

    Retrier retrier() {
        return retrier;
    }

    Scope scope() {
        return scope;
    }

    StoreHealth health() {
        return health;
    }

    void track(AutoCloseable c) {
        open.add(c);
    }

    void untrack(AutoCloseable c) {
        open.remove(c);
    }

    String serviceName(String service) {
        return settings.cluster() + "-" + service;
    }

    @Override
    public CoordinatorSettings settings() {
        return settings;
    }

    @Override
    public MemberRegistration register(Member member, Duration ttl) {
        return ConsulRegistration.create(this, member, ttl);
    }

    @Override
    public List<Member> healthyMembers(String service) {
        var a = http.call(retrier, "list healthy members of " + service, "GET",
                "/v1/health/service/" + ConsulHttp.enc(serviceName(service)) + "?passing=true", null);
        return members(service, a.json());
    }

    /** Members from a /v1/health/service answer, sorted by name. */
    static List<Member> members(String service, JsonNode entries) {
        List<Member> out = new ArrayList<>();
        for (JsonNode e : entries) {
            JsonNode s = e.path("Service");
            Set<String> tags = new HashSet<>();
            s.path("Tags").forEach(t -> tags.add(t.asText()));
            Map<String, String> meta = new HashMap<>();
            s.path("Meta").properties().forEach(m -> meta.put(m.getKey(), m.getValue().asText()));
            String name = meta.remove(ConsulRegistration.MEMBER_META);
            if (name == null) {
                continue; // not registered by autopilot
            }
            out.add(new Member(name, service, s.path("Address").asText(), s.path("Port").asInt(), tags, meta));
        }
        out.sort(Comparator.comparing(Member::name));
        return out;
    }

    String kvPath(String absKey) {
        return "/v1/kv/" + ConsulHttp.enc(absKey);
    }

    @Override
    public Optional<Versioned> get(String key) {
        String abs = scope.absolute(key);
        var a = http.call(retrier, "get " + abs, "GET", kvPath(abs), null);
        if (!a.found()) {
            return Optional.empty();
        }
        return a.json().size() == 0 ? Optional.empty() : Optional.of(versioned(a.json().get(0)));
    }

    Versioned versioned(JsonNode e) {
        JsonNode v = e.path("Value");
        byte[] value = v.isNull() || v.isMissingNode() ? new byte[0] : Base64.getDecoder().decode(v.asText());
        return new Versioned(scope.relative(e.path("Key").asText()), value, e.path("ModifyIndex").asLong());
    }

    @Override
    public void put(String key, byte[] value) {
        // By index, as on etcd: a late repeat of this request (held up on its way, applied after newer writes) finds the
        // index changed and does nothing, instead of bringing an old value back.
        String abs = scope.absolute(key);
        for (int attempt = 1; ; attempt++) {
            if (http.call(retrier, "put " + abs, "PUT", kvPath(abs) + "?cas=" + modifyIndex(abs), value).isTrue()) {
                return;
            }
            if (attempt == GUARDED_WRITE_ATTEMPTS) {
                throw new CoordinationException("put " + abs + ": the key changed before each of " + attempt + " attempts");
            }
        }
    }

    /** The key's ModifyIndex; 0 when absent. */
    private long modifyIndex(String absKey) {
        var current = http.call(retrier, "read " + absKey + " before writing it", "GET", kvPath(absKey), null);
        return current.found() && current.json().size() > 0 ? current.json().get(0).path("ModifyIndex").asLong() : 0;
    }

    @Override
    public boolean compareAndSet(String key, long expectedVersion, byte[] value) {
        String abs = scope.absolute(key);
        // A lost answer is ambiguous, but repeating ?cas= is safe: once applied, the index differs and it answers false.
        return http.call(retrier, "compare-and-set " + abs, "PUT", kvPath(abs) + "?cas=" + expectedVersion, value).isTrue();
    }

    @Override
    public boolean delete(String key) {
        String abs = scope.absolute(key);
        long index = modifyIndex(abs);
        return index != 0 && http.call(retrier, "delete " + abs, "DELETE", kvPath(abs) + "?cas=" + index, null).isTrue();
    }

    @Override
    public List<Versioned> list(String keyPrefix) {
        String abs = scope.absolute(keyPrefix);
        var a = http.call(retrier, "list " + abs, "GET", kvPath(abs) + "?recurse=true", null);
        List<Versioned> out = new ArrayList<>();
        if (a.found()) {
            a.json().forEach(e -> out.add(versioned(e)));
        }
        out.sort(Comparator.comparing(Versioned::key));
        return out;
    }

    @Override
    public Watch watchPrefix(String keyPrefix, WatchListener listener) {
        return ConsulWatch.prefix(this, scope.absolute(keyPrefix), listener);
    }

    @Override
    public Watch watchService(String service, WatchListener listener) {
        return ConsulWatch.service(this, service, listener);
    }

    @Override
    public LeaderLock leaderLock(String name, String holderId, Duration ttl, Duration safetyMargin, LeaseLostListener onLost) {
        ConsulLeaderLock lock = new ConsulLeaderLock(this, name, holderId, ttl, safetyMargin, Optional.empty(), onLost);
        track(lock); // released on close()
        return lock;
    }

    @Override
    public LeaderLock leaderLock(String name, String holderId, Duration ttl, Duration safetyMargin, Duration confirmWithin,
                                 LeaseLostListener onLost) {
        ConsulLeaderLock lock = new ConsulLeaderLock(this, name, holderId, ttl, safetyMargin, Optional.of(confirmWithin), onLost);
        track(lock);
        return lock;
    }

    @Override
    public void close() {
        for (AutoCloseable c : List.copyOf(open)) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.debug("closing {} on shutdown: {}", c, e.toString());
            }
        }
    }
}
