package dev.autopilot.coordination.etcd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.autopilot.coordination.CoordinationException;
import dev.autopilot.coordination.LeaderLock;
import dev.autopilot.coordination.LeaseLostListener;
import dev.autopilot.coordination.WatchEvent;
import dev.autopilot.coordination.WatchListener;
import dev.autopilot.coordination.support.LeaseHolding;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader lock on etcd: key {@code <scope>/locks/<name>} = holder id, created in a transaction guarded by
 * {@code create_revision == 0} and bound to a lease of the lock's TTL.
 *
 * <p>Holding the lease (renewal cadence, deadline, loss, release) is {@link LeaseHolding}, shared with the Consul
 * lock; this class supplies the etcd primitives. Renewal is one keep-alive request per call, not a long-lived
 * keep-alive stream: each renewal then has a known send time and a known outcome, which is what the holder-side
 * deadline needs.
 */
final class EtcdLeaderLock implements LeaderLock, LeaseHolding.Store<Long> {

    private static final Logger LOG = LoggerFactory.getLogger(EtcdLeaderLock.class);

    private final EtcdCoordinator etcd;
    private final String name;
    private final String holderId;
    private final Duration ttl;
    private final long leaseSeconds;
    private final String key;
    private final LeaseHolding<Long> holding;
    /** The lease {@link #prepareAcquire} is granting or granted, owned by whoever takes it out of here. */
    private final AtomicReference<CompletableFuture<Offer>> prepared = new AtomicReference<>();

    /** A lease granted for the lock and not (yet) used for it, with its grant's send time (the holder's deadline counts from it). */
    private record Offer(long lease, long sentNanos) {
    }

    EtcdLeaderLock(EtcdCoordinator etcd, String name, String holderId, Duration ttl, Duration margin, Optional<Duration> confirmWithin,
                   LeaseLostListener onLost) {
        this.etcd = etcd;
        this.name = name;
        this.holderId = holderId;
        this.ttl = ttl;
        // etcd leases have whole seconds; rounding up keeps the store-side TTL >= ours, so our deadline stays early.
        this.leaseSeconds = Math.max(2, (ttl.toMillis() + 999) / 1000);
        this.key = etcd.scope().absolute("locks/" + name);
        this.holding = new LeaseHolding<>(name, holderId, ttl, margin, confirmWithin, etcd.requestTimeout(), onLost, this);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String holderId() {
        return holderId;
    }

    @Override
    public Duration ttl() {
        return ttl;
    }

    @Override
    public boolean tryAcquire() {
        // No read first: callers try when they have just seen the lock free (the HA loop reads it with the view).
        return holding.attempt(() -> {
            long sent = System.nanoTime();
            long lease = etcd.grant("lock " + name, leaseSeconds);
            LeaseHolding.Attempt<Long> outcome = attemptWith(lease, sent);
            if (outcome instanceof LeaseHolding.Attempt.Refused) {
                revokeQuietly(lease);
            }
            return outcome;
        }) instanceof LeaseHolding.Attempt.Granted;
    }

    /**
     * The transaction that takes the lock under {@code lease}, granted by a request sent at {@code sent}; on refusal the
     * lease is left to the caller. An unknown outcome revokes it: that undoes a put that may have been applied.
     */
    private LeaseHolding.Attempt<Long> attemptWith(long lease, long sent) {
        ObjectNode txn = EtcdHttp.JSON.createObjectNode();
        txn.putArray("compare").add(EtcdCoordinator.compare(key, "CREATE", 0));
        txn.putArray("success").addObject().set("request_put", EtcdCoordinator.putRequest(key, holderId.getBytes(StandardCharsets.UTF_8), lease));
        JsonNode r;
        try {
            r = etcd.call("acquire lock " + name, EtcdCoordinator.NOT_SENT, "/v3/kv/txn", txn);
        } catch (CoordinationException e) {
            revokeQuietly(lease);
            throw e;
        }
        if (r.path("succeeded").asBoolean(false)) {
            return new LeaseHolding.Attempt.Granted<>(lease, sent, "etcd lease " + Long.toHexString(lease));
        }
        return new LeaseHolding.Attempt.Refused<>(EtcdHttp.revision(r));
    }

    private JsonNode read() {
        return etcd.call("read lock " + name, EtcdCoordinator.ANY_TRANSPORT_ERROR, "/v3/kv/range", etcd.range(key, null));
    }

    @Override
    public boolean renew(Long lease, Duration bound) {
        return etcd.keepAlive("renew lock " + name, lease, bound);
    }

    @Override
    public void release(Long lease) {
        etcd.revoke("release lock " + name, lease, etcd.requestTimeout());
    }

    @Override
    public void abandon(Long lease) {
        // Bounded: past a few TTLs the lease is gone anyway.
        try {
            etcd.revoke("revoke lost lease of lock " + name, lease, ttl.multipliedBy(5));
        } catch (CoordinationException e) {
            LOG.debug("lease of lost lock {} not revoked: {} (it expires by itself)", name, e.getMessage());
        }
    }

    private void revokeQuietly(long lease) {
        try {
            etcd.revoke("revoke unused lease of lock " + name, lease, etcd.requestTimeout());
        } catch (CoordinationException e) {
            LOG.debug("revoking lease {} of lock {}: {} (it expires by itself)", Long.toHexString(lease), name, e.getMessage());
        }
    }

    /**
     * The lease is granted before the wait, so that once the holder's key is gone a single transaction takes the lock:
     * a planned hand-over's target waits here while the old primary releases, and a read and a grant after the deletion
     * cost it two more round trips (bench/failover, graceful stop). A refused transaction writes nothing (the compare
     * fails), so it is as cheap for the store as a read. A lease older than a third of the TTL is replaced before it is
     * used: the holder's deadline counts from the grant's send time, so an old one would leave it little time to renew.
     */
    @Override
    public boolean acquire(Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        long freshFor = ttl.toNanos() / 3;
        Semaphore freed = new Semaphore(0);
        WatchListener listener = new WatchListener() {
            @Override
            public void onEvent(WatchEvent event) {
                if (event.type() == WatchEvent.Type.DELETE) {
                    freed.release();
                }
            }

            @Override
            public void onError(CoordinationException error) {
                freed.release();
            }
        };
        Offer pending = takePrepared(end); // granted, not (yet) used for the lock
        EtcdWatch watch = null;
        try {
            while (true) {
                if (pending != null && System.nanoTime() - pending.sentNanos() > freshFor) {
                    revokeQuietly(pending.lease());
                    pending = null;
                }
                if (pending == null) {
                    long sent = System.nanoTime();
                    pending = new Offer(etcd.grant("lock " + name, leaseSeconds), sent);
                }
                Offer offered = pending;
                LeaseHolding.Attempt<Long> outcome = holding.attempt(() -> attemptWith(offered.lease(), offered.sentNanos()));
                if (outcome instanceof LeaseHolding.Attempt.Granted<Long> granted) {
                    if (granted.lease() == offered.lease()) {
                        pending = null; // the lock's lease now
                    }
                    return true;
                }
                if (watch == null && outcome instanceof LeaseHolding.Attempt.Refused<Long> refused) {
                    watch = EtcdWatch.onKey(etcd, key, refused.seen(), listener);
                }
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                // the watch wakes us on deletion; the bound keeps us attempting if the watch itself is stuck
                if (freed.tryAcquire(Math.min(left, ttl.toNanos() / 2), TimeUnit.NANOSECONDS)) {
                    freed.drainPermits();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CoordinationException("interrupted while waiting for lock " + name, e);
        } finally { // also after an unknown outcome, which attemptWith revoked already: a second revoke is harmless
            if (watch != null) {
                watch.close();
            }
            if (pending != null) {
                revokeQuietly(pending.lease());
            }
        }
    }

    /**
     * Grants the lock's lease in the background for the next {@link #acquire}: a planned hand-over's target is named
     * before the old primary releases, and the grant (a proposal through etcd's raft, an fsync on a quorum) then runs
     * while the target applies the final position and stops replicating, instead of after (bench/failover, graceful
     * stop: the target's "lock taken" step was 32-80 ms, two proposals). A lease prepared earlier and not taken is revoked.
     */
    @Override
    public void prepareAcquire() {
        CompletableFuture<Offer> next = new CompletableFuture<>();
        CompletableFuture<Offer> replaced = prepared.getAndSet(next);
        Thread.ofVirtual().name("lock-prepare-" + name).start(() -> {
            try {
                long sent = System.nanoTime();
                next.complete(new Offer(etcd.grant("lock " + name, leaseSeconds), sent));
            } catch (RuntimeException e) {
                next.completeExceptionally(e);
            }
        });
        discard(replaced);
    }

    /** The prepared lease, waiting for its grant at most until {@code end}; null when none was prepared or it failed. */
    private Offer takePrepared(long end) {
        CompletableFuture<Offer> offer = prepared.getAndSet(null);
        if (offer == null) {
            return null;
        }
        try {
            return offer.get(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            LOG.debug("lease prepared for lock {} not granted: {}; granting one now", name, e.getCause().getMessage());
            return null;
        } catch (TimeoutException e) {
            discard(offer);
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            discard(offer);
            return null;
        }
    }

    /** Revokes a prepared lease nobody will use, once granted. */
    private void discard(CompletableFuture<Offer> offer) {
        if (offer != null) {
            offer.thenAccept(o -> revokeQuietly(o.lease()));
        }
    }

    @Override
    public void renew() {
        holding.renew();
    }

    @Override
    public void release() {
        holding.release();
    }

    @Override
    public void confirmAlive() {
        holding.confirmAlive();
    }

    @Override
    public Duration remainingLease() {
        return holding.remainingLease();
    }

    @Override
    public Optional<String> holder() {
        return etcd.kvs(read()).stream().findFirst().map(v -> new String(v.value(), StandardCharsets.UTF_8));
    }

    @Override
    public boolean isHeld() {
        return holding.isHeld();
    }

    @Override
    public String toString() {
        return "etcd lock " + name + " (" + holderId + ")";
    }
}
