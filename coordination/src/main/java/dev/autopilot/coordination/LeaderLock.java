package dev.autopilot.coordination;

import java.time.Duration;
import java.util.Optional;

/**
 * A leader lock held through a lease (etcd) or session (Consul) with a TTL. At most one holder at a time: the
 * store grants the lock atomically (etcd: transaction on create_revision == 0; Consul: KV acquire with a session),
 * and the key holds the holder id so anyone can read who leads ({@link #holder()}).
 *
 * <p>Timing contract (what self-fencing relies on). While held, the lease is renewed every TTL/3 by the lock's own
 * thread. Each renewal's <em>send</em> time is taken from {@link System#nanoTime()}; a watchdog declares the lock
 * lost when {@code TTL − safetyMargin} has passed since the send of the last successful renewal, and calls the
 * {@link LeaseLostListener}. Because the store cannot expire the lease earlier than TTL after it received that
 * renewal (which is after we sent it), the callback fires at least {@code safetyMargin} before any other contender
 * can acquire the lock — also when the store is unreachable. The margin must cover clock-rate drift and the time
 * the listener needs to fence.
 *
 * <p>Thread-safe. {@link #close()} releases.
 */
public interface LeaderLock extends AutoCloseable {

    /** Lock name (relative to the cluster scope: {@code <scope>/locks/<name>}). */
    String name();

    /** This contender's holder id (normally the member name). */
    String holderId();

    /**
     * One attempt. Returns {@code true} if this contender now holds the lock (also if it already held it),
     * {@code false} if another holder has it. Atomic: of any number of concurrent attempts at most one succeeds.
     * Writes at once, without reading first: meant for a caller that has just seen the lock free (a waiting
     * contender uses {@link #acquire}, which reads before it writes).
     *
     * @throws CoordinationException store unreachable
     */
    boolean tryAcquire();

    /**
     * Attempts until acquired or {@code timeout} has passed, waking on the holder's key deletion (a watch), so a
     * released lock is taken within one round trip. Returns whether the lock is held.
     *
     * @throws CoordinationException store unreachable
     */
    boolean acquire(Duration timeout);

    /**
     * Renews the lease now (the lock's thread already does so every TTL/3). If the store reports the lease gone,
     * the lock is declared lost and the listener called.
     *
     * @throws CoordinationException store unreachable (the watchdog deadline keeps running)
     * @throws IllegalStateException not held
     */
    void renew();

    /**
     * Gives the lock up: stops renewal and deletes the key (revokes the lease / destroys the session) so another
     * contender can take it at once. Does not call the listener. Idempotent.
     *
     * @throws CoordinationException store unreachable (the lock is no longer held locally; the lease expires)
     */
    void release();

    /**
     * Who holds the lock according to the store, read now.
     *
     * @throws CoordinationException store unreachable
     */
    Optional<String> holder();

    /** Whether this contender holds the lock by its own clock (acquired, not released, deadline not passed). */
    boolean isHeld();

    /**
     * Time until this holder's own fencing deadline (last renewal send + TTL − safety margin), by this holder's
     * clock; {@link Duration#ZERO} when not held. A value read now is already stale when used: callers that hand it
     * on (the database's dead-man switch) turn it into an absolute deadline at once.
     */
    default Duration remainingLease() {
        return Duration.ZERO;
    }

    /** Configured TTL. */
    Duration ttl();

    /** {@link #release()}. */
    @Override
    default void close() {
        release();
    }
}
