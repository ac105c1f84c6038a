package dev.autopilot.coordination.etcd;

import dev.autopilot.coordination.CoordinationException;
import dev.autopilot.coordination.LeaderLock;
import dev.autopilot.coordination.LeaseLostListener;
import dev.autopilot.coordination.support.Errors;
import dev.autopilot.coordination.support.LeaseHolding;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader lock on etcd: key {@code <scope>/locks/<name>} = holder id, created in a transaction guarded by
 * {@code create_revision == 0} and bound to a lease of the lock's TTL.
 *
 * <p>Holding the lease (renewal cadence, deadline, loss, release) is {@link LeaseHolding}, shared with the Consul
 * lock; this class supplies the etcd primitives. Renewal is one {@code LeaseKeepAliveOnce} per call, not jetcd's
 * keep-alive stream: each renewal then has a known send time and a known outcome, which is what the holder-side
 * deadline needs; jetcd's stream observer reports neither the send time nor a missing answer.
 */
final class EtcdLeaderLock implements LeaderLock, LeaseHolding.Store<Long> {

    private static final Logger LOG = LoggerFactory.getLogger(EtcdLeaderLock.class);

    private final EtcdCoordinator etcd;
    private final String name;
    private final String holderId;
    private final Duration ttl;
    private final long leaseSeconds;
    private final ByteSequence key;
    private final LeaseHolding<Long> holding;

    EtcdLeaderLock(EtcdCoordinator etcd, String name, String holderId, Duration ttl, Duration margin, Optional<Duration> confirmWithin,
                   LeaseLostListener onLost) {
        this.etcd = etcd;
        this.name = name;
        this.holderId = holderId;
        this.ttl = ttl;
        // etcd leases have whole seconds; rounding up keeps the store-side TTL >= ours, so our deadline stays early.
        this.leaseSeconds = Math.max(2, (ttl.toMillis() + 999) / 1000);
        this.key = EtcdCoordinator.bytes(etcd.scope().absolute("locks/" + name));
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
        return holding.attempt(() -> attemptOnce(false)) instanceof LeaseHolding.Attempt.Granted;
    }

    /** One attempt; {@code readFirst}: look before granting a lease. */
    private LeaseHolding.Attempt<Long> attemptOnce(boolean readFirst) {
        // Read first: while someone holds the lock (the common case for waiting contenders) no lease is granted.
        if (readFirst) {
            var seen = etcd.retrier().call("read lock " + name, EtcdCoordinator.ANY_TRANSPORT_ERROR,
                    left -> etcd.client().getKVClient().get(key).get(left, TimeUnit.NANOSECONDS));
            if (!seen.getKvs().isEmpty()) {
                return new LeaseHolding.Attempt.Refused<>(seen.getHeader().getRevision());
            }
        }
        long sent = System.nanoTime();
        long lease = etcd.retrier().call("grant lease for lock " + name, EtcdCoordinator.ANY_TRANSPORT_ERROR,
                left -> etcd.client().getLeaseClient().grant(leaseSeconds).get(left, TimeUnit.NANOSECONDS)).getID();
        TxnResponse r;
        try {
            r = etcd.retrier().call("acquire lock " + name, EtcdCoordinator.NOT_SENT, left -> etcd.client().getKVClient().txn()
                    .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                    .Then(Op.put(key, EtcdCoordinator.bytes(holderId), PutOption.builder().withLeaseId(lease).build()))
                    .Else(Op.get(key, GetOption.DEFAULT))
                    .commit().get(left, TimeUnit.NANOSECONDS));
        } catch (CoordinationException e) {
            revokeQuietly(lease); // outcome unknown: revoking the lease undoes a put that may have been applied
            throw e;
        }
        if (r.isSucceeded()) {
            return new LeaseHolding.Attempt.Granted<>(lease, sent, "etcd lease " + Long.toHexString(lease));
        }
        revokeQuietly(lease);
        return new LeaseHolding.Attempt.Refused<>(r.getHeader().getRevision());
    }

    @Override
    public boolean renew(Long lease, Duration bound) {
        LeaseKeepAliveResponse r;
        try {
            r = etcd.retrier().call("renew lock " + name, bound, x -> !EtcdCoordinator.leaseGone(x),
                    left -> etcd.client().getLeaseClient().keepAliveOnce(lease).get(left, TimeUnit.NANOSECONDS));
        } catch (CoordinationException e) {
            if (EtcdCoordinator.leaseGone(e.getCause())) {
                return false;
            }
            throw e;
        }
        return r.getTTL() > 0;
    }

    @Override
    public void release(Long lease) {
        try {
            etcd.retrier().call("release lock " + name, x -> !EtcdCoordinator.leaseGone(x),
                    left -> etcd.client().getLeaseClient().revoke(lease).get(left, TimeUnit.NANOSECONDS));
        } catch (CoordinationException e) {
            if (!EtcdCoordinator.leaseGone(e.getCause())) {
                throw e;
            }
        }
    }

    @Override
    public void abandon(Long lease) {
        // Bounded: past a few TTLs the lease is gone anyway.
        try {
            etcd.retrier().call("revoke lost lease of lock " + name, ttl.multipliedBy(5), x -> !EtcdCoordinator.leaseGone(x),
                    left -> etcd.client().getLeaseClient().revoke(lease)
                            .get(Math.min(left, etcd.requestTimeout().toNanos()), TimeUnit.NANOSECONDS));
        } catch (CoordinationException e) {
            LOG.debug("lease of lost lock {} not revoked: {} (it expires by itself)", name, e.getMessage());
        }
    }

    private void revokeQuietly(long lease) {
        try {
            etcd.client().getLeaseClient().revoke(lease).get(etcd.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.debug("revoking lease {} of lock {}: {} (it expires by itself)", Long.toHexString(lease), name, Errors.describe(e));
        }
    }

    @Override
    public boolean acquire(Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        if (!(holding.attempt(() -> attemptOnce(true)) instanceof LeaseHolding.Attempt.Refused<Long> refused)) {
            return true;
        }
        long seenAt = refused.seen();
        Semaphore freed = new Semaphore(0);
        Watch.Listener listener = Watch.listener(resp -> {
            if (resp.getEvents().stream().anyMatch(e -> e.getEventType() == WatchEvent.EventType.DELETE)) {
                freed.release();
            }
        }, err -> freed.release());
        try (Watch.Watcher ignored = etcd.client().getWatchClient().watch(key,
                WatchOption.builder().withRevision(seenAt + 1).withNoPut(true).build(), listener)) {
            while (true) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                // the watch wakes us on deletion; the bound keeps us attempting if the watch itself is stuck
                // After a deletion, still read before granting: with many waiters only those that see the lock
                // free write (a grant and a transaction each), which keeps a hand-over from becoming a write storm.
                if (freed.tryAcquire(Math.min(left, ttl.toNanos() / 2), TimeUnit.NANOSECONDS)) {
                    freed.drainPermits();
                }
                if (holding.attempt(() -> attemptOnce(true)) instanceof LeaseHolding.Attempt.Granted) {
                    return true;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CoordinationException("interrupted while waiting for lock " + name, e);
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
        var r = etcd.retrier().call("read lock " + name, EtcdCoordinator.ANY_TRANSPORT_ERROR,
                left -> etcd.client().getKVClient().get(key).get(left, TimeUnit.NANOSECONDS));
        return r.getKvs().stream().findFirst().map(KeyValue::getValue).map(v -> v.toString(StandardCharsets.UTF_8));
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
