package dev.autopilot.coordination.etcd;

import dev.autopilot.coordination.CoordinationException;
import dev.autopilot.coordination.LeaderLock;
import dev.autopilot.coordination.LeaseLoss;
import dev.autopilot.coordination.LeaseLostListener;
import dev.autopilot.coordination.support.Errors;
import dev.autopilot.coordination.support.LeaseDeadline;
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
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader lock on etcd: key {@code <scope>/locks/<name>} = holder id, created in a transaction guarded by
 * {@code create_revision == 0} and bound to a lease of the lock's TTL.
 *
 * <p>Renewal is this class's own loop calling {@code LeaseKeepAliveOnce} every TTL/3, not jetcd's keep-alive
 * stream: each renewal then has a known send time and a known outcome, which is what the holder-side deadline
 * ({@link LeaseDeadline}) needs; jetcd's stream observer reports neither the send time nor a missing answer.
 */
final class EtcdLeaderLock implements LeaderLock {

    private static final Logger LOG = LoggerFactory.getLogger(EtcdLeaderLock.class);

    /** One acquisition: its lease, its deadline and its renewal thread. */
    private record Tenure(long leaseId, LeaseDeadline deadline, Thread renewer) {
    }

    private final EtcdCoordinator etcd;
    private final String name;
    private final String holderId;
    private final Duration ttl;
    private final Duration margin;
    private final long leaseSeconds;
    private final ByteSequence key;
    private final LeaseLostListener onLost;
    private final AtomicReference<Tenure> tenure = new AtomicReference<>();

    EtcdLeaderLock(EtcdCoordinator etcd, String name, String holderId, Duration ttl, Duration margin, LeaseLostListener onLost) {
        if (margin.isNegative() || margin.compareTo(ttl) >= 0) {
            throw new IllegalArgumentException("lock " + name + ": safety margin " + margin + " must be within the TTL " + ttl);
        }
        this.etcd = etcd;
        this.name = name;
        this.holderId = holderId;
        this.ttl = ttl;
        this.margin = margin;
        // etcd leases have whole seconds; rounding up keeps the store-side TTL >= ours, so our deadline stays early.
        this.leaseSeconds = Math.max(2, (ttl.toMillis() + 999) / 1000);
        this.key = EtcdCoordinator.bytes(etcd.scope().absolute("locks/" + name));
        this.onLost = onLost;
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
        return attempt(false) == 0;
    }

    /** 0 if acquired, otherwise the store revision at which the lock was seen held; {@code readFirst}: look first. */
    private synchronized long attempt(boolean readFirst) {
        Tenure current = tenure.get();
        if (current != null) {
            if (!current.deadline().passed()) {
                return 0;
            }
            lost(current, LeaseLoss.Reason.DEADLINE_PASSED, System.nanoTime());
        }
        // Read first: while someone holds the lock (the common case for waiting contenders) no lease is granted.
        if (readFirst) {
            var seen = etcd.retrier().call("read lock " + name, EtcdCoordinator.ANY_TRANSPORT_ERROR,
                    left -> etcd.client().getKVClient().get(key).get(left, TimeUnit.NANOSECONDS));
            if (!seen.getKvs().isEmpty()) {
                return seen.getHeader().getRevision();
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
            start(lease, sent);
            return 0;
        }
        revokeQuietly(lease);
        return r.getHeader().getRevision();
    }

    private void start(long lease, long sentNanos) {
        Tenure[] self = new Tenure[1];
        LeaseDeadline deadline = new LeaseDeadline(name, ttl, margin, sentNanos, at -> lost(self[0], LeaseLoss.Reason.DEADLINE_PASSED, at));
        Thread renewer = Thread.ofVirtual().name("lock-renew-" + name + "-" + holderId).unstarted(this::renewLoop);
        self[0] = new Tenure(lease, deadline, renewer);
        tenure.set(self[0]);
        deadline.start();
        renewer.start();
        LOG.info("lock {} acquired by {} (lease {} ttl {} ms, renewed every {} ms, deadline ttl-{} ms)", name, holderId,
                Long.toHexString(lease), ttl.toMillis(), renewIntervalNanos() / 1_000_000, margin.toMillis());
    }

    /**
     * Renew every TTL/3, but at least every 500 ms: a holder paused for a couple of seconds (GC, SIGSTOP, a busy
     * host) must find its deadline not yet passed when it resumes, or it would fence itself for nothing.
     */
    private long renewIntervalNanos() {
        return Math.min(ttl.toNanos() / 3, Duration.ofMillis(500).toNanos());
    }

    private void renewLoop() {
        long interval = renewIntervalNanos();
        Tenure t;
        while ((t = tenure.get()) != null && t.renewer() == Thread.currentThread()) {
            long next = t.deadline().lastRenewalSentNanos() + interval;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(wait);
                } catch (InterruptedException e) {
                    return; // released or lost
                }
                if (tenure.get() != t) {
                    return;
                }
            }
            try {
                renewOnce(t);
            } catch (CoordinationException e) {
                // logged once by StoreHealth; the deadline decides when this is a loss. Try again soon.
                try {
                    TimeUnit.MILLISECONDS.sleep(Math.min(200, interval / 4_000_000));
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    /** One keep-alive bounded by the time left before the deadline; true if renewed. */
    private boolean renewOnce(Tenure t) {
        long sent = System.nanoTime();
        long bound = Math.max(1, Math.min(t.deadline().deadlineNanos() - sent, etcd.requestTimeout().toNanos()));
        LeaseKeepAliveResponse r;
        try {
            r = etcd.retrier().call("renew lock " + name, Duration.ofNanos(bound), x -> !EtcdCoordinator.leaseGone(x),
                    left -> etcd.client().getLeaseClient().keepAliveOnce(t.leaseId()).get(left, TimeUnit.NANOSECONDS));
        } catch (CoordinationException e) {
            if (EtcdCoordinator.leaseGone(e.getCause())) {
                lost(t, LeaseLoss.Reason.EXPIRED, System.nanoTime());
                return false;
            }
            throw e;
        }
        if (r.getTTL() <= 0) {
            lost(t, LeaseLoss.Reason.EXPIRED, System.nanoTime());
            return false;
        }
        t.deadline().renewed(sent);
        return true;
    }

    private void lost(Tenure t, LeaseLoss.Reason reason, long atNanos) {
        if (t == null || !tenure.compareAndSet(t, null)) {
            return;
        }
        t.deadline().cancel();
        t.renewer().interrupt();
        Duration since = Duration.ofNanos(atNanos - t.deadline().lastRenewalSentNanos());
        LOG.warn("lock {} LOST by {}: {} ({} ms since the last successful renewal was sent); holder must stop acting as leader",
                name, holderId, reason == LeaseLoss.Reason.EXPIRED ? "etcd reports the lease gone" : "no renewal within ttl - safety margin",
                since.toMillis());
        try {
            onLost.onLeaseLost(new LeaseLoss(name, holderId, reason, atNanos, since));
        } catch (RuntimeException e) {
            LOG.error("lease-lost listener of lock {} failed", name, e);
        }
        // Free the lock as soon as the store answers again instead of at lease expiry (etcd even extends leases
        // when a new leader is elected after an outage). Bounded: past a few TTLs the lease is gone anyway.
        Thread.ofVirtual().name("lock-revoke-" + name).start(() -> {
            try {
                etcd.retrier().call("revoke lost lease of lock " + name, ttl.multipliedBy(5), x -> !EtcdCoordinator.leaseGone(x),
                        left -> etcd.client().getLeaseClient().revoke(t.leaseId())
                                .get(Math.min(left, etcd.requestTimeout().toNanos()), TimeUnit.NANOSECONDS));
            } catch (CoordinationException e) {
                LOG.debug("lease of lost lock {} not revoked: {} (it expires by itself)", name, e.getMessage());
            }
        });
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
        long seenAt = attempt(true);
        if (seenAt == 0) {
            return true;
        }
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
                if (attempt(true) == 0) {
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
        Tenure t = tenure.get();
        if (t == null) {
            throw new IllegalStateException("lock " + name + " is not held by " + holderId);
        }
        renewOnce(t);
    }

    @Override
    public synchronized void release() {
        Tenure t = tenure.getAndSet(null);
        if (t == null) {
            return;
        }
        t.deadline().cancel();
        t.renewer().interrupt();
        try {
            etcd.retrier().call("release lock " + name, x -> !EtcdCoordinator.leaseGone(x),
                    left -> etcd.client().getLeaseClient().revoke(t.leaseId()).get(left, TimeUnit.NANOSECONDS));
        } catch (CoordinationException e) {
            if (!EtcdCoordinator.leaseGone(e.getCause())) {
                throw e;
            }
        }
        LOG.info("lock {} released by {}", name, holderId);
    }

    @Override
    public Optional<String> holder() {
        var r = etcd.retrier().call("read lock " + name, EtcdCoordinator.ANY_TRANSPORT_ERROR,
                left -> etcd.client().getKVClient().get(key).get(left, TimeUnit.NANOSECONDS));
        return r.getKvs().stream().findFirst().map(KeyValue::getValue).map(v -> v.toString(StandardCharsets.UTF_8));
    }

    @Override
    public Duration remainingLease() {
        Tenure t = tenure.get();
        long left = t == null ? 0 : t.deadline().deadlineNanos() - System.nanoTime();
        return left > 0 ? Duration.ofNanos(left) : Duration.ZERO;
    }

    @Override
    public boolean isHeld() {
        Tenure t = tenure.get();
        return t != null && !t.deadline().passed();
    }

    @Override
    public String toString() {
        return "etcd lock " + name + " (" + holderId + ")";
    }
}
