package dev.autopilot.coordination.consul;

import dev.autopilot.coordination.CoordinationException;
import dev.autopilot.coordination.LeaderLock;
import dev.autopilot.coordination.LeaseLostListener;
import dev.autopilot.coordination.support.LeaseHolding;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader lock on Consul: a session ({@code TTL}, {@code Behavior=delete}, {@code LockDelay} = the lock's TTL, no
 * health checks) acquires {@code <scope>locks/<name>} with {@code ?acquire=}. Holding the lease (renewal cadence,
 * deadline, loss, release) is {@link LeaseHolding}, shared with the etcd lock; this class supplies the Consul
 * primitives: {@code /v1/session/renew}, and a release that deletes the key before destroying the session.
 *
 * <p>Why a lock delay of one TTL: Consul invalidates a session not only when its TTL runs out but also when an
 * operator destroys it or the node is deregistered — and then frees the key at once, while the holder still believes
 * it leads. The holder's own deadline fires at most {@code TTL − safetyMargin} after its last successful renewal, which
 * was sent before the invalidation, so {@code TTL} after any invalidation it has declared the loss and had the margin
 * to fence. Consul refuses {@code ?acquire=} on the key for the lock delay after an invalidation, so no other contender
 * can lead before then. The cost is failover time after a holder dies (session expiry + TTL); a deliberate release
 * costs nothing, because the key is deleted before the session is destroyed and the delay applies only to keys the
 * session still held. Consul caps the delay at 60 s.
 */
final class ConsulLeaderLock implements LeaderLock, LeaseHolding.Store<String> {

    private static final Logger LOG = LoggerFactory.getLogger(ConsulLeaderLock.class);
    /** Consul refuses session TTLs under 10 s. */
    static final Duration MIN_SESSION_TTL = Duration.ofSeconds(10);
    /** Consul's ceiling for a session's lock delay. */
    static final Duration MAX_LOCK_DELAY = Duration.ofSeconds(60);
    /** Pause between attempts while Consul's lock delay keeps a free key from being acquired. */
    private static final Duration LOCK_DELAY_POLL = Duration.ofMillis(100);

    private final ConsulCoordinator consul;
    private final String name;
    private final String holderId;
    private final Duration ttl;
    private final String keyPath;
    private final LeaseHolding<String> holding;

    ConsulLeaderLock(ConsulCoordinator consul, String name, String holderId, Duration ttl, Duration margin,
                     Optional<Duration> confirmWithin, LeaseLostListener onLost) {
        this.consul = consul;
        this.name = name;
        this.holderId = holderId;
        this.ttl = ttl;
        this.keyPath = consul.kvPath(consul.scope().absolute("locks/" + name));
        this.holding = new LeaseHolding<>(name, holderId, ttl, margin, confirmWithin, consul.settings().requestTimeout(), onLost, this);
    }

    /** The session's lock delay: the lock's TTL (see the class comment), within Consul's ceiling. */
    static Duration lockDelay(Duration ttl) {
        return ttl.compareTo(MAX_LOCK_DELAY) > 0 ? MAX_LOCK_DELAY : ttl;
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
        return holding.attempt(this::attemptOnce) instanceof LeaseHolding.Attempt.Granted;
    }

    private LeaseHolding.Attempt<String> attemptOnce() {
        Optional<Long> held = holderIndex();
        if (held.isPresent()) {
            return new LeaseHolding.Attempt.Refused<>(held.get());
        }
        long sent = System.nanoTime();
        long seconds = Math.max(MIN_SESSION_TTL.toSeconds(), (ttl.toMillis() + 999) / 1000);
        Map<String, Object> body = Map.of("Name", "autopilot lock " + name + " held by " + holderId, "TTL", seconds + "s",
                "Behavior", "delete", "LockDelay", lockDelay(ttl).toMillis() + "ms", "Checks", List.of());
        String session = consul.http().call(consul.retrier(), "create session for lock " + name, "PUT", "/v1/session/create",
                ConsulHttp.json(body)).json().path("ID").asText();
        boolean acquired;
        try {
            acquired = consul.http().call(consul.retrier(), "acquire lock " + name, "PUT", keyPath + "?acquire=" + session,
                    holderId.getBytes(StandardCharsets.UTF_8)).isTrue();
        } catch (CoordinationException e) {
            // outcome unknown: if the acquire was applied, deleting the key first keeps the lock delay from starting
            try {
                release(session);
            } catch (CoordinationException again) {
                LOG.debug("session {} of lock {} not destroyed: {} (its TTL ends it)", session, name, again.getMessage());
            }
            throw e;
        }
        if (!acquired) { // taken meanwhile, or free but within the lock delay of a previous holder's invalidated session
            destroyQuietly(session);
            return new LeaseHolding.Attempt.Refused<>(0);
        }
        return new LeaseHolding.Attempt.Granted<>(session, sent, "consul session " + session + ", lock delay "
                + lockDelay(ttl).toMillis() + " ms");
    }

    /** The lock key's ModifyIndex if someone holds it. */
    private Optional<Long> holderIndex() {
        var a = consul.http().call(consul.retrier(), "read lock " + name, "GET", keyPath, null);
        if (!a.found() || a.json().size() == 0 || a.json().get(0).path("Session").isMissingNode()) {
            return Optional.empty();
        }
        return Optional.of(a.index());
    }

    @Override
    public boolean renew(String session, Duration bound) {
        var a = consul.retrier().call("renew lock " + name, bound, ConsulHttp.RETRYABLE,
                left -> consul.http().send("PUT", "/v1/session/renew/" + session, null, left));
        return a.found() && a.json().size() > 0;
    }

    @Override
    public void release(String session) {
        deleteKeyHeldBy(session);
        // destroying a Behavior=delete session deletes what it still holds (if the delete above did not happen)
        consul.http().call(consul.retrier(), "release lock " + name, "PUT", "/v1/session/destroy/" + session, null);
    }

    @Override
    public void abandon(String session) {
        // Keep trying for a while: if the session instead runs out while it still holds the key, Consul's lock delay
        // adds a TTL before anyone can lead. Each try is bounded by the request timeout, with backoff.
        long end = System.nanoTime() + ttl.multipliedBy(5).toNanos();
        while (true) {
            try {
                release(session);
                return;
            } catch (CoordinationException e) {
                if (System.nanoTime() - end >= 0) {
                    LOG.debug("session {} of lost lock {} not destroyed: {} (its TTL ends it)", session, name, e.getMessage());
                    return;
                }
            }
        }
    }

    /**
     * Deletes the lock key if {@code session} still holds it, compare-and-set on its ModifyIndex so a key another
     * contender holds by then is never touched. Deleting the key first keeps the session's destruction from starting
     * Consul's lock delay, so a deliberate hand-over is immediate.
     */
    private void deleteKeyHeldBy(String session) {
        var a = consul.http().call(consul.retrier(), "read lock " + name, "GET", keyPath, null);
        if (a.found() && a.json().size() > 0 && session.equals(a.json().get(0).path("Session").asText())) {
            long index = a.json().get(0).path("ModifyIndex").asLong();
            consul.http().call(consul.retrier(), "delete lock " + name, "DELETE", keyPath + "?cas=" + index, null);
        }
    }

    private void destroyQuietly(String session) {
        try {
            consul.http().call(consul.retrier(), "destroy session " + session, "PUT", "/v1/session/destroy/" + session, null);
        } catch (CoordinationException e) {
            LOG.debug("session {} of lock {} not destroyed: {} (its TTL ends it)", session, name, e.getMessage());
        }
    }

    @Override
    public boolean acquire(Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (tryAcquire()) {
                return true;
            }
            long left = end - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            // blocking query: returns as soon as the lock key changes (released, deleted with its session)
            Optional<Long> index = holderIndex();
            if (index.isEmpty()) { // free, yet refused: Consul's lock delay after the last holder's session was invalidated
                sleep(Math.min(left, LOCK_DELAY_POLL.toNanos()));
            } else {
                long waitMs = Math.max(1, Math.min(left / 1_000_000, ttl.toMillis()));
                consul.retrier().call("wait for lock " + name, Duration.ofMillis(waitMs + 2000), ConsulHttp.RETRYABLE,
                        l -> consul.http().send("GET", keyPath + "?index=" + index.get() + "&wait=" + waitMs + "ms", null, l));
            }
        }
    }

    private void sleep(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
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
        var a = consul.http().call(consul.retrier(), "read lock " + name, "GET", keyPath, null);
        if (!a.found() || a.json().size() == 0 || a.json().get(0).path("Session").isMissingNode()) {
            return Optional.empty();
        }
        String v = a.json().get(0).path("Value").asText("");
        return Optional.of(new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8));
    }

    @Override
    public boolean isHeld() {
        return holding.isHeld();
    }

    @Override
    public String toString() {
        return "consul lock " + name + " (" + holderId + ")";
    }
}
