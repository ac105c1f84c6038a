package dev.autopilot.coordination;

import java.time.Duration;
import java.util.Optional;

/**
 * A leader lock held through a lease (etcd) or session (Consul) with a TTL. At most one holder at a time: the
 * store grants the lock atomically (etcd: transaction on create_revision == 0; Consul: KV acquire with a session),
 * and the key holds the holder id so anyone can read who leads ({@link #holder()}).
 *
 * <p>Timing contract (what self-fencing relies on), the same for every backend. While held, the lease is renewed
 * every TTL/3, but at least every 500 ms, by the lock's own thread. Each renewal's <em>send</em> time is taken from
 * {@link System#nanoTime()}; a watchdog declares the lock lost when {@code TTL − safetyMargin} has passed since the
 * send of the last successful renewal, and calls the {@link LeaseLostListener} once. Because the store cannot expire
 * the lease earlier than TTL after it received that renewal (which is after we sent it), the callback fires at least
 * {@code safetyMargin} before any other contender can acquire the lock — also when the store is unreachable. After a
 * loss the lock frees its lease in the store, but only {@code safetyMargin} after the callback, so the listener's
 * fencing always has that long. The margin must cover clock-rate drift and the time the listener needs to fence.
 *
 * <p>Liveness (opt-in at construction, {@link Coordinator#leaderLock(String, String, Duration, Duration, Duration,
 * LeaseLostListener)}): a holder built with a confirmation bound must call {@link #confirmAlive()} at least that
 * often, or the lock declares itself lost ({@link LeaseLoss.Reason#NOT_CONFIRMED}) and stops renewing, although the
 * store is reachable. So a holder whose work loop fails every time cannot keep the lock alive by its renewal thread
 * alone. Locks built without a bound ignore {@code confirmAlive()}.
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
     * contender uses {@link #acquire}).
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
     * Readies an {@link #acquire} expected shortly, without waiting: etcd grants the lock's lease ahead, so that the
     * acquisition is one transaction (a planned hand-over's target calls this the moment it is named). Taking the lock
     * stays {@code acquire}'s; a lease prepared and never used expires with its TTL. Nothing by default.
     */
    default void prepareAcquire() {
    }

    /**
     * Renews the lease now (the lock's thread already does so every TTL/3, at least every 500 ms). If the store reports the lease gone,
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
     * The holder vouches that it is alive and doing its work (for the agent: an HA cycle just completed). On a lock
     * built with a confirmation bound, moves its own deadline to at most that bound from now; without a bound, or
     * when not held, it has no effect. Cheap (no I/O), callable from any thread.
     */
    void confirmAlive();

    /**
     * Time left until this holder's own deadline — the moment it declares the lock lost, by its own clock: the earlier
     * of {@code TTL − safetyMargin} after the send of the last successful renewal and the confirmation bound after the
     * last {@link #confirmAlive()}. {@link Duration#ZERO} when not held (or the deadline has passed). No I/O.
     */
    Duration remainingLease();

    /** Configured TTL. */
    Duration ttl();

    /** {@link #release()}. */
    @Override
    default void close() {
        release();
    }
}
