package dev.autopilot.coordination.support;

import dev.autopilot.coordination.LeaseLoss;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;

/**
 * The holder-side deadline of a lease: {@code TTL − safetyMargin} after the send time of the last successful
 * renewal, on {@link System#nanoTime()} — or, for a holder that must vouch for its own liveness, {@code confirmWithin}
 * after its last confirmation if that comes first. A dedicated platform thread (not virtual: its timing must not
 * depend on carrier threads being free) sleeps until the deadline, re-reads it, and fires once when it has passed.
 * Deterministic by construction: it fires no later than a few milliseconds after the deadline whatever the
 * network does, because nothing it waits on involves I/O.
 */
public final class LeaseDeadline {

    /** Told once when the deadline passed, with the nanoTime of the declaration and which bound it was. */
    @FunctionalInterface
    public interface Expiry {
        void expired(long atNanos, LeaseLoss.Reason reason);
    }

    private final long windowNanos;
    private final long confirmWindowNanos; // Long.MAX_VALUE: no confirmation needed
    private final AtomicLong lastRenewalSent;
    private final AtomicLong lastConfirmed;
    private final AtomicBoolean done = new AtomicBoolean();
    private final Thread thread;

    /**
     * A deadline that only renewals move.
     *
     * @param acquiredSentNanos send time of the request that created the lease
     * @param onExpired         called once with the nanoTime at which expiry was declared
     */
    public LeaseDeadline(String name, Duration ttl, Duration safetyMargin, long acquiredSentNanos, LongConsumer onExpired) {
        this(name, ttl, safetyMargin, Optional.empty(), acquiredSentNanos, (at, reason) -> onExpired.accept(at));
    }

    /**
     * @param confirmWithin     when present, the deadline is also this long after the last {@link #confirmed}
     *                          (the acquisition counts as the first confirmation)
     * @param acquiredSentNanos send time of the request that created the lease
     * @param onExpired         called once, on the deadline's thread
     */
    public LeaseDeadline(String name, Duration ttl, Duration safetyMargin, Optional<Duration> confirmWithin, long acquiredSentNanos,
                         Expiry onExpired) {
        this.windowNanos = ttl.minus(safetyMargin).toNanos();
        if (windowNanos <= 0) {
            throw new IllegalArgumentException("safety margin " + safetyMargin + " must be shorter than the TTL " + ttl);
        }
        confirmWithin.filter(d -> !d.isPositive()).ifPresent(d -> {
            throw new IllegalArgumentException("confirmation bound " + d + " must be positive");
        });
        this.confirmWindowNanos = confirmWithin.map(Duration::toNanos).orElse(Long.MAX_VALUE);
        this.lastRenewalSent = new AtomicLong(acquiredSentNanos);
        this.lastConfirmed = new AtomicLong(acquiredSentNanos);
        this.thread = Thread.ofPlatform().daemon().name("lease-deadline-" + name).priority(Thread.MAX_PRIORITY).unstarted(() -> {
            while (!done.get()) {
                long now = System.nanoTime();
                long left = deadlineNanos() - now;
                if (left <= 0) {
                    if (done.compareAndSet(false, true)) {
                        onExpired.expired(now, reason());
                    }
                    return;
                }
                LockSupport.parkNanos(this, left);
            }
        });
    }

    /** Starts the watchdog. */
    public void start() {
        thread.start();
    }

    /** A renewal sent at {@code sentNanos} succeeded; the deadline only moves forward. */
    public void renewed(long sentNanos) {
        lastRenewalSent.accumulateAndGet(sentNanos, Math::max);
    }

    /** The holder confirmed at {@code atNanos} that it is alive; only moves forward. */
    public void confirmed(long atNanos) {
        lastConfirmed.accumulateAndGet(atNanos, Math::max);
    }

    /** The current deadline (nanoTime): the earlier of the renewal and the confirmation bound. */
    public long deadlineNanos() {
        long renewal = lastRenewalSent.get() + windowNanos;
        if (confirmWindowNanos == Long.MAX_VALUE) {
            return renewal;
        }
        long confirmation = lastConfirmed.get() + confirmWindowNanos;
        return confirmation - renewal < 0 ? confirmation : renewal;
    }

    /** Which bound the deadline is: the liveness bound when it comes first, otherwise the renewal bound. */
    public LeaseLoss.Reason reason() {
        boolean confirmationFirst = confirmWindowNanos != Long.MAX_VALUE
                && lastConfirmed.get() + confirmWindowNanos - (lastRenewalSent.get() + windowNanos) < 0;
        return confirmationFirst ? LeaseLoss.Reason.NOT_CONFIRMED : LeaseLoss.Reason.DEADLINE_PASSED;
    }

    /** Send time of the last successful renewal. */
    public long lastRenewalSentNanos() {
        return lastRenewalSent.get();
    }

    /** Whether the deadline has passed (by the clock, even if the thread has not woken yet). */
    public boolean passed() {
        return System.nanoTime() - deadlineNanos() >= 0;
    }

    /** Stops the watchdog without firing (release, or loss declared elsewhere). Returns false if it had fired. */
    public boolean cancel() {
        boolean cancelled = done.compareAndSet(false, true);
        LockSupport.unpark(thread);
        return cancelled;
    }
}
