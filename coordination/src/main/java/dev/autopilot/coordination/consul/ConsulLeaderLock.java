package dev.autopilot.coordination.consul;

import dev.autopilot.coordination.CoordinationException;
import dev.autopilot.coordination.LeaderLock;
import dev.autopilot.coordination.LeaseLoss;
import dev.autopilot.coordination.LeaseLostListener;
import dev.autopilot.coordination.support.LeaseDeadline;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader lock on Consul: a session ({@code TTL}, {@code Behavior=delete}, {@code LockDelay=0s}, no health checks)
 * acquires {@code <scope>locks/<name>} with {@code ?acquire=}; renewal is {@code /v1/session/renew} every TTL/3 from
 * this class's own loop, feeding the same holder-side {@link LeaseDeadline} as the etcd lock.
 */
final class ConsulLeaderLock implements LeaderLock {

    private static final Logger LOG = LoggerFactory.getLogger(ConsulLeaderLock.class);
    /** Consul refuses session TTLs under 10 s. */
    static final Duration MIN_SESSION_TTL = Duration.ofSeconds(10);

    private record Tenure(String session, LeaseDeadline deadline, Thread renewer) {
    }

    private final ConsulCoordinator consul;
    private final String name;
    private final String holderId;
    private final Duration ttl;
    private final Duration margin;
    private final String keyPath;
    private final LeaseLostListener onLost;
    private final AtomicReference<Tenure> tenure = new AtomicReference<>();

    ConsulLeaderLock(ConsulCoordinator consul, String name, String holderId, Duration ttl, Duration margin, LeaseLostListener onLost) {
        if (margin.isNegative() || margin.compareTo(ttl) >= 0) {
            throw new IllegalArgumentException("lock " + name + ": safety margin " + margin + " must be within the TTL " + ttl);
        }
        this.consul = consul;
        this.name = name;
        this.holderId = holderId;
        this.ttl = ttl;
        this.margin = margin;
        this.keyPath = consul.kvPath(consul.scope().absolute("locks/" + name));
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
    public synchronized boolean tryAcquire() {
        Tenure current = tenure.get();
        if (current != null) {
            if (!current.deadline().passed()) {
                return true;
            }
            lost(current, LeaseLoss.Reason.DEADLINE_PASSED, System.nanoTime());
        }
        if (holderIndex().isPresent()) {
            return false;
        }
        long sent = System.nanoTime();
        long seconds = Math.max(MIN_SESSION_TTL.toSeconds(), (ttl.toMillis() + 999) / 1000);
        Map<String, Object> body = Map.of("Name", "autopilot lock " + name + " held by " + holderId, "TTL", seconds + "s",
                "Behavior", "delete", "LockDelay", "0s", "Checks", List.of());
        String session = consul.http().call(consul.retrier(), "create session for lock " + name, "PUT", "/v1/session/create",
                ConsulHttp.json(body)).json().path("ID").asText();
        boolean acquired;
        try {
            acquired = consul.http().call(consul.retrier(), "acquire lock " + name, "PUT", keyPath + "?acquire=" + session,
                    holderId.getBytes(StandardCharsets.UTF_8)).isTrue();
        } catch (CoordinationException e) {
            destroyQuietly(session);
            throw e;
        }
        if (!acquired) {
            destroyQuietly(session);
            return false;
        }
        Tenure[] self = new Tenure[1];
        LeaseDeadline deadline = new LeaseDeadline(name, ttl, margin, sent, at -> lost(self[0], LeaseLoss.Reason.DEADLINE_PASSED, at));
        self[0] = new Tenure(session, deadline, Thread.ofVirtual().name("lock-renew-" + name + "-" + holderId).unstarted(this::renewLoop));
        tenure.set(self[0]);
        deadline.start();
        self[0].renewer().start();
        LOG.info("lock {} acquired by {} (consul session {}, ttl {} ms, deadline ttl-{} ms)", name, holderId, session,
                ttl.toMillis(), margin.toMillis());
        return true;
    }

    /** The lock key's ModifyIndex if someone holds it. */
    private Optional<Long> holderIndex() {
        var a = consul.http().call(consul.retrier(), "read lock " + name, "GET", keyPath, null);
        if (!a.found() || a.json().size() == 0 || a.json().get(0).path("Session").isMissingNode()) {
            return Optional.empty();
        }
        return Optional.of(a.index());
    }

    private void renewLoop() {
        long interval = ttl.toNanos() / 3;
        Tenure t;
        while ((t = tenure.get()) != null && t.renewer() == Thread.currentThread()) {
            long wait = t.deadline().lastRenewalSentNanos() + interval - System.nanoTime();
            try {
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                if (tenure.get() != t) {
                    return;
                }
                renewOnce(t);
            } catch (InterruptedException e) {
                return;
            } catch (CoordinationException e) {
                try {
                    TimeUnit.MILLISECONDS.sleep(Math.min(200, interval / 4_000_000));
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private void renewOnce(Tenure t) {
        long sent = System.nanoTime();
        long bound = Math.max(1_000_000, Math.min(t.deadline().deadlineNanos() - sent, consul.settings().requestTimeout().toNanos()));
        var a = consul.retrier().call("renew lock " + name, Duration.ofNanos(bound), ConsulHttp.RETRYABLE,
                left -> consul.http().send("PUT", "/v1/session/renew/" + t.session(), null, left));
        if (!a.found() || a.json().size() == 0) {
            lost(t, LeaseLoss.Reason.EXPIRED, System.nanoTime());
            return;
        }
        t.deadline().renewed(sent);
    }

    private void lost(Tenure t, LeaseLoss.Reason reason, long atNanos) {
        if (t == null || !tenure.compareAndSet(t, null)) {
            return;
        }
        t.deadline().cancel();
        t.renewer().interrupt();
        Duration since = Duration.ofNanos(atNanos - t.deadline().lastRenewalSentNanos());
        LOG.warn("lock {} LOST by {}: {} ({} ms since the last successful renewal was sent); holder must stop acting as leader",
                name, holderId, reason == LeaseLoss.Reason.EXPIRED ? "consul reports the session gone" : "no renewal within ttl - safety margin",
                since.toMillis());
        try {
            onLost.onLeaseLost(new LeaseLoss(name, holderId, reason, atNanos, since));
        } catch (RuntimeException e) {
            LOG.error("lease-lost listener of lock {} failed", name, e);
        }
        Thread.ofVirtual().name("lock-destroy-" + name).start(() -> destroyQuietly(t.session()));
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
            if (index.isPresent()) {
                long waitMs = Math.max(1, Math.min(left / 1_000_000, ttl.toMillis()));
                consul.retrier().call("wait for lock " + name, Duration.ofMillis(waitMs + 2000), ConsulHttp.RETRYABLE,
                        l -> consul.http().send("GET", keyPath + "?index=" + index.get() + "&wait=" + waitMs + "ms", null, l));
            }
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
        // destroying a Behavior=delete session deletes the key: one request frees the lock
        consul.http().call(consul.retrier(), "release lock " + name, "PUT", "/v1/session/destroy/" + t.session(), null);
        LOG.info("lock {} released by {}", name, holderId);
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
}
