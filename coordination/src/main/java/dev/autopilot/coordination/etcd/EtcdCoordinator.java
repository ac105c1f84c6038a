package dev.autopilot.coordination.etcd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import dev.autopilot.coordination.support.MemberCodec;
import dev.autopilot.coordination.support.Retrier;
import dev.autopilot.coordination.support.Scope;
import dev.autopilot.coordination.support.StoreHealth;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Coordinator} on etcd v3 through its HTTP/JSON gateway ({@link EtcdHttp}). Requests stay on one member and
 * move to the next endpoint when it fails; they are retried here with backoff within the request timeout, a
 * compare-and-set or lock acquisition only when it provably never reached etcd (no connection could be made).
 *
 * <p>Layout under the scope: {@code services/<service>/<member>} (member JSON, bound to the registration lease),
 * {@code locks/<name>} (holder id, bound to the lock lease), everything else as the caller names it.
 */
public final class EtcdCoordinator implements Coordinator {

    private static final Logger LOG = LoggerFactory.getLogger(EtcdCoordinator.class);

    /** Safe to repeat after any transport failure: reads, put, delete, keep-alive, revoke. */
    static final Predicate<Throwable> ANY_TRANSPORT_ERROR = t -> t instanceof IOException;
    /** Safe to repeat only if the request cannot have reached the store. */
    static final Predicate<Throwable> NOT_SENT = EtcdHttp::neverConnected;

    /** Whether a failure means the lease no longer exists (expired or revoked). */
    static boolean leaseGone(Throwable t) {
        Throwable c = dev.autopilot.coordination.support.Errors.unwrap(t);
        return c instanceof EtcdHttp.Refused r && r.getMessage() != null && r.getMessage().contains("requested lease not found");
    }

    /** Compare-and-set rounds of a {@link #guardedPut} before it gives up on a key that keeps changing. */
    private static final int GUARDED_PUT_ATTEMPTS = 5;

    private final CoordinatorSettings settings;
    private final EtcdHttp http;
    private final Scope scope;
    private final StoreHealth health;
    private final Retrier retrier;
    private final Set<AutoCloseable> open = ConcurrentHashMap.newKeySet();

    private EtcdCoordinator(CoordinatorSettings settings, EtcdHttp http) {
        this.settings = settings;
        this.http = http;
        this.scope = new Scope(settings.scope());
        this.health = new StoreHealth("etcd " + settings.endpoints() + " scope " + settings.scope());
        // etcd's own verdicts (not found, permission denied, bad password...) prove it reachable and are not retried
        this.retrier = new Retrier(health, settings.requestTimeout(), t -> t instanceof EtcdHttp.Refused);
    }

    /** Connects and reads once, retrying up to the startup timeout. */
    public static EtcdCoordinator open(CoordinatorSettings settings) {
        EtcdCoordinator c = new EtcdCoordinator(settings, new EtcdHttp(settings));
        try {
            ObjectNode countOnly = c.range(c.scope.root(), prefixEnd(c.scope.root())).put("count_only", true);
            c.retrier.call("first read at startup", settings.startupTimeout(), ANY_TRANSPORT_ERROR,
                    left -> c.http.call("/v3/kv/range", countOnly, Math.min(left, TimeUnit.SECONDS.toNanos(2))));
        } catch (CoordinationException e) {
            c.http.close();
            boolean refused = e.getMessage().contains(" refused: ");
            throw new CoordinationException("etcd " + (refused ? "refused the connection at startup: " : "unreachable at startup: ") + e.getMessage()
                    + " (coordination.endpoints=" + settings.endpoints() + ")", e.getCause());
        }
        LOG.info("connected to etcd {} for cluster scope {}", settings.endpoints(), settings.scope());
        return c;
    }

    /** One request through the retrier, bounded by the request timeout. */
    JsonNode call(String operation, Predicate<Throwable> retryable, String path, ObjectNode body) {
        return call(operation, settings.requestTimeout(), retryable, path, body);
    }

    /** One request through the retrier within {@code bound}. */
    JsonNode call(String operation, Duration bound, Predicate<Throwable> retryable, String path, ObjectNode body) {
        return retrier.call(operation, bound, retryable, left -> http.call(path, body, left));
    }

    /** A range request body for {@code [key, end)}; {@code end} null: the key alone. Sorted by key. */
    ObjectNode range(String key, byte[] end) {
        ObjectNode r = EtcdHttp.JSON.createObjectNode().put("key", EtcdHttp.b64(key));
        if (end != null) {
            r.put("range_end", EtcdHttp.b64(end)).put("sort_order", "ASCEND").put("sort_target", "KEY");
        }
        return r;
    }

    /** A put request body, bound to {@code lease} unless it is 0. */
    static ObjectNode putRequest(String key, byte[] value, long lease) {
        ObjectNode r = EtcdHttp.JSON.createObjectNode().put("key", EtcdHttp.b64(key)).put("value", EtcdHttp.b64(value));
        if (lease != 0) {
            r.put("lease", Long.toString(lease));
        }
        return r;
    }

    /** A compare on the key: its create revision (0: absent) or, with {@code target} MOD, its last modification. */
    static ObjectNode compare(String key, String target, long revision) {
        return EtcdHttp.JSON.createObjectNode().put("key", EtcdHttp.b64(key)).put("result", "EQUAL").put("target", target)
                .put(target.equals("CREATE") ? "create_revision" : "mod_revision", Long.toString(revision));
    }

    /** A lease of {@code seconds}; returns its id. */
    long grant(String what, long seconds) {
        ObjectNode body = EtcdHttp.JSON.createObjectNode().put("TTL", Long.toString(seconds));
        return EtcdHttp.int64(call("grant lease for " + what, ANY_TRANSPORT_ERROR, "/v3/lease/grant", body), "ID");
    }

    /** One keep-alive of a lease (the {@code operation} in messages), answered within {@code bound}; false when the lease is gone. */
    boolean keepAlive(String operation, long lease, Duration bound) {
        ObjectNode body = EtcdHttp.JSON.createObjectNode().put("ID", Long.toString(lease));
        try {
            // etcd answers a keep-alive of an unknown lease with TTL 0 (omitted), or on some paths with "not found"
            return EtcdHttp.int64(call(operation, bound, ANY_TRANSPORT_ERROR, "/v3/lease/keepalive", body), "TTL") > 0;
        } catch (CoordinationException e) {
            if (leaseGone(e.getCause())) {
                return false;
            }
            throw e;
        }
    }

    /** Ends a lease and deletes its keys; a lease already gone is not an error. */
    void revoke(String operation, long lease, Duration bound) {
        ObjectNode body = EtcdHttp.JSON.createObjectNode().put("ID", Long.toString(lease));
        try {
            call(operation, bound, ANY_TRANSPORT_ERROR, "/v3/lease/revoke", body);
        } catch (CoordinationException e) {
            if (!leaseGone(e.getCause())) {
                throw e;
            }
        }
    }

    EtcdHttp http() {
        return http;
    }

    Scope scope() {
        return scope;
    }

    StoreHealth health() {
        return health;
    }

    Retrier retrier() {
        return retrier;
    }

    Duration requestTimeout() {
        return settings.requestTimeout();
    }

    void track(AutoCloseable c) {
        open.add(c);
    }

    void untrack(AutoCloseable c) {
        open.remove(c);
    }

    @Override
    public CoordinatorSettings settings() {
        return settings;
    }

    @Override
    public MemberRegistration register(Member member, Duration ttl) {
        return EtcdRegistration.create(this, member, ttl);
    }

    @Override
    public List<Member> healthyMembers(String service) {
        return list(EtcdRegistration.servicePrefix(service)).stream()
                .flatMap(v -> MemberCodec.decode(v.value()).stream())
                .sorted(Comparator.comparing(Member::name)).toList();
    }

    @Override
    public Optional<Versioned> get(String key) {
        String abs = scope.absolute(key);
        JsonNode r = call("get " + abs, ANY_TRANSPORT_ERROR, "/v3/kv/range", range(abs, null));
        return kvs(r).stream().findFirst();
    }

    @Override
    public void put(String key, byte[] value) {
        String abs = scope.absolute(key);
        guardedPut(abs, value, 0, 0);
    }

    /** Plain put bound to a lease (0: none), for a value that never changes under its key (a late repeat is harmless). */
    void put(String absKey, byte[] value, long leaseId) {
        call("put " + absKey, ANY_TRANSPORT_ERROR, "/v3/kv/put", putRequest(absKey, value, leaseId));
    }

    /**
     * Puts {@code value} (bound to {@code lease} unless 0) so that no late repeat of a request can undo a newer write.
     * A request sent to a member that stops (SIGSTOP, a frozen VM) before reading it is applied when that member runs
     * again, long after the retry on another member succeeded and after newer writes: HTTP/1.1 cannot take it back.
     * So every put is a transaction that applies only while the key's last modification is still the one the writer
     * saw ({@code knownRevision}, 0: absent); a late repeat then finds the key changed and does nothing. When the
     * compare fails the answer carries the key as it is: if it already holds this value and lease (an earlier attempt
     * of this put was applied), that is the result; otherwise the put is tried again over the key's revision.
     * Repeating the same transaction after a transport error is as safe, so it is retried like a read.
     *
     * @param knownRevision the key's mod revision as the caller last wrote or read it; 0 when absent or unknown (a
     *                      wrong guess costs one more round trip)
     * @return the key's mod revision after the write
     */
    long guardedPut(String absKey, byte[] value, long lease, long knownRevision) {
        long expected = knownRevision;
        for (int attempt = 1; ; attempt++) {
            ObjectNode txn = EtcdHttp.JSON.createObjectNode();
            txn.putArray("compare").add(expected == 0 ? compare(absKey, "CREATE", 0) : compare(absKey, "MOD", expected));
            txn.putArray("success").addObject().set("request_put", putRequest(absKey, value, lease));
            txn.putArray("failure").addObject().set("request_range", range(absKey, null));
            JsonNode r = call("put " + absKey, ANY_TRANSPORT_ERROR, "/v3/kv/txn", txn);
            if (r.path("succeeded").asBoolean(false)) {
                return EtcdHttp.revision(r);
            }
            JsonNode current = r.path("responses").path(0).path("response_range").path("kvs").path(0);
            long revision = EtcdHttp.int64(current, "mod_revision");
            if (revision != 0 && EtcdHttp.int64(current, "lease") == lease && Arrays.equals(EtcdHttp.bytes(current, "value"), value)) {
                return revision;
            }
            if (attempt == GUARDED_PUT_ATTEMPTS) {
                // only a writer that keeps changing the key gets here: nothing this agent writes is contended that hard
                throw new CoordinationException("put " + absKey + ": the key changed before each of " + attempt + " attempts");
            }
            expected = revision;
        }
    }

    @Override
    public boolean compareAndSet(String key, long expectedVersion, byte[] value) {
        String abs = scope.absolute(key);
        ObjectNode txn = EtcdHttp.JSON.createObjectNode();
        txn.putArray("compare").add(expectedVersion == 0 ? compare(abs, "CREATE", 0) : compare(abs, "MOD", expectedVersion));
        txn.putArray("success").addObject().set("request_put", putRequest(abs, value, 0));
        return call("compare-and-set " + abs, NOT_SENT, "/v3/kv/txn", txn).path("succeeded").asBoolean(false);
    }

    /**
     * Deletes the key as it was read, so that a late repeat cannot delete a value written after it (see
     * {@link #guardedPut}): a transaction on the key's mod revision, tried again over the revision it answers.
     */
    @Override
    public boolean delete(String key) {
        String abs = scope.absolute(key);
        long expected = get(key).map(Versioned::version).orElse(0L);
        for (int attempt = 1; expected != 0; attempt++) {
            ObjectNode txn = EtcdHttp.JSON.createObjectNode();
            txn.putArray("compare").add(compare(abs, "MOD", expected));
            txn.putArray("success").addObject().set("request_delete_range", EtcdHttp.JSON.createObjectNode().put("key", EtcdHttp.b64(abs)));
            txn.putArray("failure").addObject().set("request_range", range(abs, null));
            JsonNode r = call("delete " + abs, ANY_TRANSPORT_ERROR, "/v3/kv/txn", txn);
            if (r.path("succeeded").asBoolean(false)) {
                return true;
            }
            if (attempt == GUARDED_PUT_ATTEMPTS) {
                throw new CoordinationException("delete " + abs + ": the key changed before each of " + attempt + " attempts");
            }
            expected = EtcdHttp.int64(r.path("responses").path(0).path("response_range").path("kvs").path(0), "mod_revision");
        }
        return false;
    }

    @Override
    public List<Versioned> list(String keyPrefix) {
        String abs = scope.absolute(keyPrefix);
        return kvs(call("list " + abs, ANY_TRANSPORT_ERROR, "/v3/kv/range", range(abs, prefixEnd(abs))));
    }

    @Override
    public List<Versioned> listExcept(String... excludedPrefixes) {
        if (Arrays.stream(excludedPrefixes).anyMatch(String::isEmpty)) {
            return List.of();
        }
        // The ranges around the excluded prefixes, in key order, in one transaction: all read at one revision. A prefix
        // inside another excluded one is covered by it.
        String root = scope.absolute("");
        List<String> excluded = Arrays.stream(excludedPrefixes).map(scope::absolute).sorted().toList();
        ObjectNode txn = EtcdHttp.JSON.createObjectNode();
        ArrayNode ops = txn.putArray("success");
        String from = root;
        for (String prefix : excluded) {
            if (prefix.compareTo(from) > 0) {
                ops.addObject().set("request_range", range(from, prefix.getBytes(StandardCharsets.UTF_8)));
            }
            String after = new String(prefixEnd(prefix), StandardCharsets.UTF_8);
            from = after.compareTo(from) > 0 ? after : from;
        }
        ops.addObject().set("request_range", range(from, prefixEnd(root)));
        JsonNode r = call("list " + root + " except " + excluded, ANY_TRANSPORT_ERROR, "/v3/kv/txn", txn);
        List<Versioned> out = new ArrayList<>();
        r.path("responses").forEach(g -> out.addAll(kvs(g.path("response_range"))));
        return out;
    }

    /** The first key after every key that starts with {@code prefix} (its last byte plus one). */
    static byte[] prefixEnd(String prefix) {
        byte[] b = prefix.getBytes(StandardCharsets.UTF_8);
        b[b.length - 1]++;
        return b;
    }

    /** The key-values of a range answer. */
    List<Versioned> kvs(JsonNode rangeAnswer) {
        List<Versioned> out = new ArrayList<>();
        rangeAnswer.path("kvs").forEach(kv -> out.add(versioned(kv)));
        return out;
    }

    /** One key-value of an answer or a watch event. */
    Versioned versioned(JsonNode kv) {
        return new Versioned(scope.relative(new String(EtcdHttp.bytes(kv, "key"), StandardCharsets.UTF_8)), EtcdHttp.bytes(kv, "value"),
                EtcdHttp.int64(kv, "mod_revision"));
    }

    @Override
    public Watch watchPrefix(String keyPrefix, WatchListener listener) {
        return EtcdWatch.start(this, scope.absolute(keyPrefix), false, listener);
    }

    @Override
    public Watch watchService(String service, WatchListener listener) {
        return EtcdWatch.start(this, scope.absolute(EtcdRegistration.servicePrefix(service)), true, listener);
    }

    @Override
    public LeaderLock leaderLock(String name, String holderId, Duration ttl, Duration safetyMargin, LeaseLostListener onLost) {
        EtcdLeaderLock lock = new EtcdLeaderLock(this, name, holderId, ttl, safetyMargin, Optional.empty(), onLost);
        track(lock); // released on close()
        return lock;
    }

    @Override
    public LeaderLock leaderLock(String name, String holderId, Duration ttl, Duration safetyMargin, Duration confirmWithin,
                                 LeaseLostListener onLost) {
        EtcdLeaderLock lock = new EtcdLeaderLock(this, name, holderId, ttl, safetyMargin, Optional.of(confirmWithin), onLost);
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
        http.close();
    }
}
