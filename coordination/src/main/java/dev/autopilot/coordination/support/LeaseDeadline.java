package dev.autopilot.coordination.support;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;

/**
 * The holder-side deadline of a lease: {@code TTL − safetyMargin} after the send time of the last successful
 * renewal, on {@link System#nanoTime()}. A dedicated platform thread (not virtual: its timing must not depend on
 * carrier threads being free) sleeps until the deadline, re-reads it, and fires once when it has passed.
 * Deterministic by construction: it fires no later than a few milliseconds after the deadline whatever the
 * network does, because nothing it waits on involves I/O.
 */
public final class LeaseDeadline {

    private final long windowNanos;
    private final AtomicLong lastRenewalSent;
    private final AtomicBoolean done = new AtomicBoolean();
    private final Thread thread;

    /**
     * @param acquiredSentNanos send time of the request that created the lease
     * @param onExpired         called once with the nanoTime at which expiry was declared
     */
    public LeaseDeadline(String name, Duration ttl, Duration safetyMargin, long acquiredSentNanos, LongConsumer onExpired) {
        this.windowNanos = ttl.minus(safetyMargin).toNanos();
        if (windowNanos <= 0) {
            throw new IllegalArgumentException("safety margin " + safetyMargin + " must be shorter than the TTL " + ttl);
        }
        this.lastRenewalSent = new AtomicLong(acquiredSentNanos);
        this.thread = Thread.ofPlatform().daemon().name("lease-deadline-" + name).priority(Thread.MAX_PRIORITY).unstarted(() -> {
            while (!done.get()) {
                long now = System.nanoTime();
                long left = deadlineNanos() - now;
                if (left <= 0) {
                    if (done.compareAndSet(false, true)) {
                        onExpired.accept(now);
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

    /** The current deadline (nanoTime). */
    public long deadlineNanos() {
        return lastRenewalSent.get() + windowNanos;
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
