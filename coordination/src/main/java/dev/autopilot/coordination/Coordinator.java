package dev.autopilot.coordination;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * What the cluster lifecycle needs from a coordination store (etcd, Consul), scoped to one cluster: every key lives
 * under {@code <keyPrefix>/<cluster>/} so one store serves many clusters. Keys passed to these methods are relative
 * to that scope ({@code members/db1}), never absolute.
 *
 * <p>Error contract: <b>store unreachable</b> (no answer within the request timeout after retries with backoff)
 * throws {@link CoordinationException}; a <b>refused write</b> returns {@code false}. Operations that are safe to
 * repeat (reads, put, delete, lease renewal) are retried on any transport error; compare-and-set and lock attempts
 * only where the store cannot have applied the first try. Connectivity changes are logged once per change
 * (unreachable → reachable), never per attempt.
 *
 * <p>Implementations are thread-safe. Created by {@link Coordinators#open}.
 */
public interface Coordinator extends AutoCloseable {
    /**
     * Where in the cluster scope a store that keeps service registrations as keys (etcd) keeps them; a reader of the
     * scope's keys leaves it out ({@link #listExcept}). Consul keeps them in its catalog, outside the key/value scope.
     */
    String REGISTRATIONS = "services/";

    /** The settings this coordinator was opened with (secrets masked in toString). */
    CoordinatorSettings settings();

    /**
     * Registers {@code member} with a TTL. The member is listed by {@link #healthyMembers} until the TTL passes
     * without a {@link MemberRegistration#heartbeat(boolean) heartbeat(true)}.
     *
     * @throws CoordinationException store unreachable
     */
    MemberRegistration register(Member member, Duration ttl);

    /**
     * Members of {@code service} whose registration is alive and healthy, sorted by name. Linearizable read (etcd),
     * or the agent's view of the catalog (Consul, default consistency).
     *
     * @throws CoordinationException store unreachable
     */
    List<Member> healthyMembers(String service);

    /** Reads a key. @throws CoordinationException store unreachable */
    Optional<Versioned> get(String key);

    /** Writes a key unconditionally. @throws CoordinationException store unreachable */
    void put(String key, byte[] value);

    /**
     * Writes {@code value} only if the key's version is {@code expectedVersion} ({@code 0}: only if the key does
     * not exist). Atomic. Returns {@code false} when the version differs (someone else wrote first).
     *
     * @throws CoordinationException store unreachable, or the outcome is unknown (the caller should re-read)
     */
    boolean compareAndSet(String key, long expectedVersion, byte[] value);

    /** Deletes a key; {@code false} if it did not exist. @throws CoordinationException store unreachable */
    boolean delete(String key);

    /** Every key under a prefix (relative), sorted by key. @throws CoordinationException store unreachable */
    List<Versioned> list(String keyPrefix);

    /**
     * Every key of the cluster scope except those under the {@code excludedPrefixes} (relative, non-empty), sorted by
     * key: the scope's small keys in one read while subtrees the reader has no use for (the cluster history, the service
     * registrations) stay out of it. One consistent read where the store allows it (etcd: the ranges between the
     * excluded prefixes in one transaction, never transferring the excluded keys); by default, and on Consul, the whole
     * scope read at once and the excluded keys dropped.
     *
     * @throws CoordinationException store unreachable
     */
    default List<Versioned> listExcept(String... excludedPrefixes) {
        return list("").stream().filter(v -> Arrays.stream(excludedPrefixes).noneMatch(v.key()::startsWith)).toList();
    }

    /**
     * Watches every key under {@code keyPrefix}. Changes arrive in store order with push latency (etcd watch stream,
     * Consul blocking query), starting after this method returns, and resume after reconnects without losing one.
     *
     * @throws CoordinationException store unreachable when starting
     */
    Watch watchPrefix(String keyPrefix, WatchListener listener);

    /**
     * Watches the healthy members of {@code service}: PUT when a member appears or changes, DELETE when it leaves,
     * expires or turns unhealthy; {@link WatchEvent#key()} is the member name.
     *
     * @throws CoordinationException store unreachable when starting
     */
    Watch watchService(String service, WatchListener listener);

    /**
     * A leader lock contender (nothing is acquired yet). See {@link LeaderLock} for the timing contract.
     *
     * @param ttl          lease TTL; etcd rounds up to whole seconds (minimum 2 s), Consul to its 10 s minimum (and uses
     *                     it as the session's lock delay)
     * @param safetyMargin how long before the store could expire the lease the holder declares it lost
     * @param onLost       called when the lock is lost without release
     */
    LeaderLock leaderLock(String name, String holderId, Duration ttl, Duration safetyMargin, LeaseLostListener onLost);

    /**
     * A leader lock contender whose holder must vouch for its own liveness: while held, if {@link
     * LeaderLock#confirmAlive()} was not called for {@code confirmWithin} (counted from the acquisition), the lock
     * declares itself lost ({@link LeaseLoss.Reason#NOT_CONFIRMED}, listener called) and stops renewing. Use it for a
     * lock whose holder must not keep it while its work fails (the agent's leader lock and its HA loop); a bound of
     * {@code ttl − safetyMargin} fences a stuck holder as fast as an unreachable store does.
     *
     * @param confirmWithin positive; the longest time between two confirmations
     */
    LeaderLock leaderLock(String name, String holderId, Duration ttl, Duration safetyMargin, Duration confirmWithin,
                          LeaseLostListener onLost);

    /** Stops renewals and watches and closes connections; held locks are released, registrations left to expire. */
    @Override
    void close();
}
