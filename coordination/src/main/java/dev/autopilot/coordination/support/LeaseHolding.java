package dev.autopilot.coordination.support;

import dev.autopilot.coordination.CoordinationException;
import dev.autopilot.coordination.LeaseLoss;
import dev.autopilot.coordination.LeaseLostListener;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything about holding a leader lock's lease that does not depend on the store, shared by the etcd and Consul
 * locks so their timing cannot drift: one tenure per acquisition, the renewal loop and its cadence, the holder-side
 * {@link LeaseDeadline} (send time of the last successful renewal + TTL − safety margin, by {@link System#nanoTime()},
 * or the liveness bound), the {@link LeaseLostListener} called exactly once per lost tenure, release, and freeing a
 * lost lease in the store only once fencing had its margin. A backend supplies the store primitives ({@link Store})
 * and its acquisition attempt ({@link #attempt}).
 *
 * @param <L> the store's lease handle (etcd lease id, Consul session id)
 */
public final class LeaseHolding<L> {

    private static final Logger LOG = LoggerFactory.getLogger(LeaseHolding.class);
    /** Longest pause between renewals (see {@link #renewIntervalNanos}). */
    static final Duration MAX_RENEW_INTERVAL = Duration.ofMillis(500);

    /** The store operations on a granted lease. */
    public interface Store<L> {

        /**
         * One renewal, answered within {@code bound}. Returns {@code true} if renewed, {@code false} if the store
         * answered that the lease is gone.
         *
         * @throws CoordinationException no answer within the bound
         */
        boolean renew(L lease, Duration bound);

        /**
         * Frees the lock and ends the lease so another contender can take the lock at once.
         *
         * @throws CoordinationException store unreachable (the lease then expires by itself)
         */
        void release(L lease);

        /** The same for a lease already declared lost: best effort, may retry for a while, never throws. */
        void abandon(L lease);
    }

    /** Outcome of one acquisition attempt. */
    public sealed interface Attempt<L> {
        /** This contender holds the lock under {@code lease}, created by a request sent at {@code sentNanos}. */
        record Granted<L>(L lease, long sentNanos, String detail) implements Attempt<L> {
        }

        /** Another holder has it; {@code seen} is the store index at which it was seen held (0 if unknown). */
        record Refused<L>(long seen) implements Attempt<L> {
        }
    }

    /** One acquisition: its lease, its deadline and its renewal thread. */
    private record Tenure<L>(L lease, LeaseDeadline deadline, Thread renewer) {
    }

    private final String lock;
    private final String holderId;
    private final Duration ttl;
    private final Duration margin;
    private final Optional<Duration> confirmWithin;
    private final Duration requestTimeout;
    private final LeaseLostListener onLost;
    private final Store<L> store;
    private final AtomicReference<Tenure<L>> tenure = new AtomicReference<>();

    /**
     * @param confirmWithin  when present, the holder must call {@link #confirmAlive()} at least this often or the lock
     *                       is declared lost ({@link LeaseLoss.Reason#NOT_CONFIRMED}); empty: renewal alone keeps it
     * @param requestTimeout longest wait for one renewal's answer
     */
    public LeaseHolding(String lock, String holderId, Duration ttl, Duration margin, Optional<Duration> confirmWithin,
                        Duration requestTimeout, LeaseLostListener onLost, Store<L> store) {
        if (margin.isNegative() || margin.compareTo(ttl) >= 0) {
            throw new IllegalArgumentException("lock " + lock + ": safety margin " + margin + " must be within the TTL " + ttl);
        }
        confirmWithin.filter(d -> !d.isPositive()).ifPresent(d -> {
            throw new IllegalArgumentException("lock " + lock + ": confirmation bound " + d + " must be positive");
        });
        this.lock = lock;
        this.holderId = holderId;
        this.ttl = ttl;
        this.margin = margin;
        this.confirmWithin = confirmWithin;
        this.requestTimeout = requestTimeout;
        this.onLost = onLost;
        this.store = store;
    }

    /**
     * Time between renewals: TTL/3, but at least every 500 ms. A holder paused for a couple of seconds (GC, SIGSTOP,
     * a busy host) must find its deadline not yet passed when it resumes, or it would fence itself for nothing; and
     * the store's copy of the lease stays close to a full TTL ahead of the holder's deadline.
     */
    public static long renewIntervalNanos(Duration ttl) {
        return Math.min(ttl.toNanos() / 3, MAX_RENEW_INTERVAL.toNanos());
    }

    /**
     * One acquisition attempt through {@code once}, unless this contender already holds the lock (then its current
     * grant is returned and {@code once} not called). A tenure whose deadline has passed is declared lost first.
     * A grant starts the deadline and the renewal loop. Serialised with {@link #release()}.
     */
    public synchronized Attempt<L> attempt(Supplier<Attempt<L>> once) {
        Tenure<L> current = tenure.get();
        if (current != null) {
            if (!current.deadline().passed()) {
                return new Attempt.Granted<>(current.lease(), current.deadline().lastRenewalSentNanos(), "already held");
            }
            lost(current, current.deadline().reason(), System.nanoTime());
        }
        Attempt<L> outcome = once.get();
        if (outcome instanceof Attempt.Granted<L> granted) {
            begin(granted);
        }
        return outcome;
    }

    private void begin(Attempt.Granted<L> granted) {
        @SuppressWarnings("unchecked")
        Tenure<L>[] self = new Tenure[1];
        LeaseDeadline deadline = new LeaseDeadline(lock, ttl, margin, confirmWithin, granted.sentNanos(),
                (at, reason) -> lost(self[0], reason, at));
        Thread renewer = Thread.ofVirtual().name("lock-renew-" + lock + "-" + holderId).unstarted(this::renewLoop);
        self[0] = new Tenure<>(granted.lease(), deadline, renewer);
        tenure.set(self[0]);
        deadline.start();
        renewer.start();
        LOG.info("lock {} acquired by {} ({}; ttl {} ms, renewed every {} ms, lost by its own clock at ttl-{} ms{})", lock, holderId,
                granted.detail(), ttl.toMillis(), renewIntervalNanos(ttl) / 1_000_000, margin.toMillis(),
                confirmWithin.map(d -> " or " + d.toMillis() + " ms after the holder last confirmed it is alive").orElse(""));
    }

    private void renewLoop() {
        long interval = renewIntervalNanos(ttl);
        Tenure<L> t;
        while ((t = tenure.get()) != null && t.renewer() == Thread.currentThread()) {
            long wait = t.deadline().lastRenewalSentNanos() + interval - System.nanoTime();
            try {
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                if (tenure.get() != t) {
                    return; // released or lost meanwhile
                }
                renewOnce(t);
            } catch (InterruptedException e) {
                return; // released or lost
            } catch (CoordinationException e) {
                // logged once by StoreHealth; the deadline decides when this is a loss. Try again soon.
                try {
                    TimeUnit.NANOSECONDS.sleep(Math.min(Duration.ofMillis(200).toNanos(), interval / 4));
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    /** One renewal bounded by the time left before the deadline. */
    private void renewOnce(Tenure<L> t) {
        long sent = System.nanoTime();
        long bound = Math.max(Duration.ofMillis(1).toNanos(), Math.min(t.deadline().deadlineNanos() - sent, requestTimeout.toNanos()));
        if (store.renew(t.lease(), Duration.ofNanos(bound))) {
            t.deadline().renewed(sent);
        } else {
            lost(t, LeaseLoss.Reason.EXPIRED, System.nanoTime());
        }
    }

    /** The lock's tenure ends without release: exactly once per tenure, whichever path sees it first. */
    private void lost(Tenure<L> t, LeaseLoss.Reason reason, long atNanos) {
        if (t == null || !tenure.compareAndSet(t, null)) {
            return;
        }
        t.deadline().cancel();
        t.renewer().interrupt();
        LeaseLoss loss = new LeaseLoss(lock, holderId, reason, atNanos, Duration.ofNanos(atNanos - t.deadline().lastRenewalSentNanos()));
        LOG.warn("lock {} LOST by {}: {}; the holder must stop acting as leader{}", lock, holderId, loss.describe(),
                reason == LeaseLoss.Reason.EXPIRED ? "" : "; the lock is freed in the store " + margin.toMillis() + " ms from now (the fencing margin)");
        try {
            onLost.onLeaseLost(loss);
        } catch (RuntimeException e) {
            LOG.error("lease-lost listener of lock {} failed", lock, e);
        }
        // Free the lock in the store instead of waiting for the store to expire it (etcd even extends leases when a new
        // leader is elected after an outage) — but not before the safety margin has passed since the loss: the
        // listener only starts fencing, and no other contender may take the lock before the fence had that time.
        Thread.ofVirtual().name("lock-abandon-" + lock).start(() -> {
            try {
                TimeUnit.NANOSECONDS.sleep(atNanos + margin.toNanos() - System.nanoTime());
            } catch (InterruptedException e) {
                return;
            }
            try {
                store.abandon(t.lease());
            } catch (RuntimeException e) { // e.g. the coordinator was closed meanwhile; the store expires the lease
                LOG.debug("lost lease of lock {} not freed: {}", lock, e.toString());
            }
        });
    }

    /** Renews now (the renewal loop already does so); a lease the store reports gone is declared lost. */
    public void renew() {
        Tenure<L> t = tenure.get();
        if (t == null) {
            throw new IllegalStateException("lock " + lock + " is not held by " + holderId);
        }
        renewOnce(t);
    }

    /** The holder is alive: moves the liveness bound forward (no effect when not held or not built with one). */
    public void confirmAlive() {
        Tenure<L> t = tenure.get();
        if (t != null) {
            t.deadline().confirmed(System.nanoTime());
        }
    }

    /** Stops renewal and frees the lock in the store; no listener call. Idempotent. */
    public synchronized void release() {
        Tenure<L> t = tenure.getAndSet(null);
        if (t == null) {
            return;
        }
        t.deadline().cancel();
        t.renewer().interrupt();
        store.release(t.lease());
        LOG.info("lock {} released by {}", lock, holderId);
    }

    /** Whether held by this holder's own clock. */
    public boolean isHeld() {
        Tenure<L> t = tenure.get();
        return t != null && !t.deadline().passed();
    }

    /** Time until this holder's deadline by its own clock; zero when not held. */
    public Duration remainingLease() {
        Tenure<L> t = tenure.get();
        if (t == null) {
            return Duration.ZERO;
        }
        long left = t.deadline().deadlineNanos() - System.nanoTime();
        return left > 0 ? Duration.ofNanos(left) : Duration.ZERO;
    }
}
