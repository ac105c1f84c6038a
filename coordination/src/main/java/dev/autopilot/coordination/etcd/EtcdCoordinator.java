package dev.autopilot.coordination.etcd;

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
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Coordinator} on etcd v3 through jetcd. Several endpoints are balanced round-robin by gRPC, which moves
 * calls and streams to a live member when one dies; calls fail fast while no member is connected
 * ({@code waitForReady=false}) and are retried here with backoff within the request timeout.
 *
 * <p>Layout under the scope: {@code services/<service>/<member>} (member JSON, bound to the registration lease),
 * {@code locks/<name>} (holder id, bound to the lock lease), everything else as the caller names it.
 */
public final class EtcdCoordinator implements Coordinator {

    private static final Logger LOG = LoggerFactory.getLogger(EtcdCoordinator.class);

    /** Safe to repeat after any failure: reads, put, delete, keep-alive, revoke. */
    static final Predicate<Throwable> ANY_TRANSPORT_ERROR = t -> !(t instanceof IllegalArgumentException);
    /** Safe to repeat only if the request cannot have reached the store. */
    static final Predicate<Throwable> NOT_SENT = t -> code(t) == Status.Code.UNAVAILABLE
            || t.getCause() != null && code(t.getCause()) == Status.Code.UNAVAILABLE;

    /** Whether a failure means the lease no longer exists (expired or revoked). */
    static boolean leaseGone(Throwable t) {
        Throwable c = dev.autopilot.coordination.support.Errors.unwrap(t);
        return c instanceof io.etcd.jetcd.lease.NoSuchLeaseException
                || c != null && c.getMessage() != null && c.getMessage().contains("requested lease not found");
    }

    /** Errors etcd sends as an answer: the store is up, repeating will not help. */
    static boolean isAnswer(Throwable t) {
        Status.Code code = code(t);
        return code == Status.Code.NOT_FOUND || code == Status.Code.INVALID_ARGUMENT || code == Status.Code.PERMISSION_DENIED
                || code == Status.Code.FAILED_PRECONDITION || code == Status.Code.UNAUTHENTICATED || code == Status.Code.OUT_OF_RANGE
                || leaseGone(t);
    }

    /** The gRPC status code of a failure, or null. */
    static Status.Code code(Throwable t) {
        if (t instanceof StatusRuntimeException s) {
            return s.getStatus().getCode();
        }
        if (t instanceof io.etcd.jetcd.common.exception.EtcdException e) {
            try {
                return Status.Code.valueOf(e.getErrorCode().name());
            } catch (IllegalArgumentException unknown) {
                return null;
            }
        }
        return null;
    }

    private final CoordinatorSettings settings;
    private final Client client;
    private final Scope scope;
    private final StoreHealth health;
    private final Retrier retrier;
    private final Set<AutoCloseable> open = ConcurrentHashMap.newKeySet();

    private EtcdCoordinator(CoordinatorSettings settings, Client client) {
        this.settings = settings;
        this.client = client;
        this.scope = new Scope(settings.scope());
        this.health = new StoreHealth("etcd " + settings.endpoints() + " scope " + settings.scope());
        this.retrier = new Retrier(health, settings.requestTimeout(), EtcdCoordinator::isAnswer);
    }

    /** Connects and reads once, retrying up to the startup timeout. */
    public static EtcdCoordinator open(CoordinatorSettings settings) {
        EtcdCoordinator c = new EtcdCoordinator(settings, buildClient(settings));
        try {
            c.retrier.call("first read at startup", settings.startupTimeout(), ANY_TRANSPORT_ERROR,
                    left -> c.client.getKVClient().get(bytes(c.scope.root()), GetOption.builder().withCountOnly(true).build())
                            .get(Math.min(left, TimeUnit.SECONDS.toNanos(2)), TimeUnit.NANOSECONDS));
        } catch (CoordinationException e) {
            c.client.close();
            boolean refused = e.getMessage().contains(" refused: ");
            throw new CoordinationException("etcd " + (refused ? "refused the connection at startup: " : "unreachable at startup: ") + e.getMessage()
                    + " (coordination.endpoints=" + settings.endpoints() + ")", e.getCause());
        }
        LOG.info("connected to etcd {} for cluster scope {}", settings.endpoints(), settings.scope());
        return c;
    }

    private static Client buildClient(CoordinatorSettings s) {
        ClientBuilder b = Client.builder()
                .endpoints(s.endpoints().toArray(java.net.URI[]::new))
                // round_robin, not jetcd's default pick_first: a retry must go to the next member, not again to the
                // one that just died or lost the leader (jetcd issue #1318; the Go client does the same).
                .loadBalancerPolicy("round_robin")
                // Notice a silently dead member (partition, SIGSTOP) within seconds, not at the OS TCP timeout; no
                // more often than etcd's --grpc-keepalive-min-time (5 s), or it answers with GOAWAY too_many_pings.
                .keepaliveTime(Duration.ofSeconds(5))
                .keepaliveTimeout(Duration.ofSeconds(2))
                .keepaliveWithoutCalls(true)
                .waitForReady(false)
                .connectTimeout(Duration.ofMillis(Math.min(2000, s.requestTimeout().toMillis())))
                .retryMaxAttempts(1)
                .retryDelay(50)
                .retryMaxDelay(200)
                .retryMaxDuration(s.requestTimeout())
                // one keep-alive per renewal, not jetcd's two (see OneKeepAlivePerRenewal)
                .interceptor(new OneKeepAlivePerRenewal());
        if (s.user().isPresent()) {
            b.user(bytes(s.user().get())).password(ByteSequence.from(s.password().orElseThrow().utf8()));
        }
        if (s.tls().isPresent()) {
            var tls = s.tls().get();
            // One authority for the whole channel: gRPC checks every member's certificate against this name.
            b.authority(tls.serverName() != null ? tls.serverName() : s.endpoints().getFirst().getHost());
            try {
                b.sslContext(ssl -> {
                    ssl.trustManager(tls.caFile().toFile());
                    if (tls.certFile() != null) {
                        ssl.keyManager(tls.certFile().toFile(), tls.keyFile().toFile());
                    }
                });
            } catch (SSLException e) {
                throw new IllegalArgumentException("coordination.tls: cannot load " + tls + ": " + e.getMessage(), e);
            }
        }
        return b.build();
    }

    static ByteSequence bytes(String s) {
        return ByteSequence.from(s, java.nio.charset.StandardCharsets.UTF_8);
    }

    Client client() {
        return client;
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
                .flatMap(v -> dev.autopilot.coordination.support.MemberCodec.decode(v.value()).stream())
                .sorted(Comparator.comparing(Member::name)).toList();
    }

    @Override
    public Optional<Versioned> get(String key) {
        String abs = scope.absolute(key);
        GetResponse r = retrier.call("get " + abs, ANY_TRANSPORT_ERROR,
                left -> client.getKVClient().get(bytes(abs)).get(left, TimeUnit.NANOSECONDS));
        return r.getKvs().stream().findFirst().map(this::versioned);
    }

    @Override
    public void put(String key, byte[] value) {
        String abs = scope.absolute(key);
        retrier.call("put " + abs, ANY_TRANSPORT_ERROR,
                left -> client.getKVClient().put(bytes(abs), ByteSequence.from(value)).get(left, TimeUnit.NANOSECONDS));
    }

    /** Put bound to a lease (used by registrations). */
    void put(String absKey, byte[] value, long leaseId) {
        retrier.call("put " + absKey, ANY_TRANSPORT_ERROR, left -> client.getKVClient()
                .put(bytes(absKey), ByteSequence.from(value), PutOption.builder().withLeaseId(leaseId).build())
                .get(left, TimeUnit.NANOSECONDS));
    }

    @Override
    public boolean compareAndSet(String key, long expectedVersion, byte[] value) {
        String abs = scope.absolute(key);
        ByteSequence k = bytes(abs);
        Cmp cmp = expectedVersion == 0
                ? new Cmp(k, Cmp.Op.EQUAL, CmpTarget.createRevision(0))
                : new Cmp(k, Cmp.Op.EQUAL, CmpTarget.modRevision(expectedVersion));
        TxnResponse r = retrier.call("compare-and-set " + abs, NOT_SENT, left -> client.getKVClient().txn()
                .If(cmp).Then(Op.put(k, ByteSequence.from(value), PutOption.DEFAULT)).commit()
                .get(left, TimeUnit.NANOSECONDS));
        return r.isSucceeded();
    }

    @Override
    public boolean delete(String key) {
        String abs = scope.absolute(key);
        return retrier.call("delete " + abs, ANY_TRANSPORT_ERROR,
                left -> client.getKVClient().delete(bytes(abs)).get(left, TimeUnit.NANOSECONDS)).getDeleted() > 0;
    }

    @Override
    public List<Versioned> list(String keyPrefix) {
        String abs = scope.absolute(keyPrefix);
        GetResponse r = retrier.call("list " + abs, ANY_TRANSPORT_ERROR, left -> client.getKVClient()
                .get(bytes(abs), GetOption.builder().isPrefix(true).withSortField(GetOption.SortTarget.KEY).build())
                .get(left, TimeUnit.NANOSECONDS));
        List<Versioned> out = new ArrayList<>();
        r.getKvs().forEach(kv -> out.add(versioned(kv)));
        return out;
    }

    @Override
    public List<Versioned> listExcept(String excludedPrefix) {
        if (excludedPrefix.isEmpty()) {
            return List.of();
        }
        String root = scope.absolute("");
        String excluded = scope.absolute(excludedPrefix);
        // [root, excluded) and [end of excluded, end of root): one transaction, so both ranges are read at one revision.
        TxnResponse r = retrier.call("list " + root + " except " + excluded, ANY_TRANSPORT_ERROR, left -> client.getKVClient().txn()
                .Then(Op.get(bytes(root), GetOption.builder().withSortField(GetOption.SortTarget.KEY).withRange(bytes(excluded)).build()),
                        Op.get(prefixEnd(excluded), GetOption.builder().withSortField(GetOption.SortTarget.KEY)
                                .withRange(prefixEnd(root)).build()))
                .commit().get(left, TimeUnit.NANOSECONDS));
        List<Versioned> out = new ArrayList<>();
        r.getGetResponses().forEach(g -> g.getKvs().forEach(kv -> out.add(versioned(kv))));
        return out;
    }

    /** The first key after every key that starts with {@code prefix} (its last byte plus one). */
    private static ByteSequence prefixEnd(String prefix) {
        byte[] b = prefix.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        b[b.length - 1]++;
        return ByteSequence.from(b);
    }

    Versioned versioned(KeyValue kv) {
        return new Versioned(scope.relative(kv.getKey().toString()), kv.getValue().getBytes(), kv.getModRevision());
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
        client.close();
    }
}
