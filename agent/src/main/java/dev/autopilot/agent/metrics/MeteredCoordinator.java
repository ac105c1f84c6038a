package dev.autopilot.agent.metrics;

import dev.autopilot.coordination.CoordinationException;
import dev.autopilot.coordination.Coordinator;
import dev.autopilot.coordination.CoordinatorSettings;
import dev.autopilot.coordination.LeaderLock;
import dev.autopilot.coordination.LeaseLostListener;
import dev.autopilot.coordination.Member;
import dev.autopilot.coordination.MemberRegistration;
import dev.autopilot.coordination.Versioned;
import dev.autopilot.coordination.Watch;
import dev.autopilot.coordination.WatchListener;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A {@link Coordinator} whose requests are timed and whose "store unreachable" errors ({@link CoordinationException})
 * are counted, by operation; the leader lock's and the registrations' requests too. The lock's own renewals run
 * inside the backend and are not seen here; the lease they keep is {@code autopilot_leader_lease_remaining_seconds}.
 */
public final class MeteredCoordinator implements Coordinator {
    static final List<String> OPERATIONS = List.of("get", "put", "compare_and_set", "delete", "list", "healthy_members",
            "register", "heartbeat", "put_bound", "deregister", "watch", "lock_acquire", "lock_release", "lock_renew", "lock_holder");
    private static final Predicate<Exception> UNREACHABLE = e -> e instanceof CoordinationException;

    private final Coordinator store;
    private final RequestMeter meter;

    MeteredCoordinator(Coordinator store, RequestMeter meter) {
        this.store = store;
        this.meter = meter;
    }

    @Override
    public CoordinatorSettings settings() {
        return store.settings();
    }

    @Override
    public MemberRegistration register(Member member, Duration ttl) {
        return new Registration(meter.time("register", UNREACHABLE, () -> store.register(member, ttl)));
    }

    @Override
    public List<Member> healthyMembers(String service) {
        return meter.time("healthy_members", UNREACHABLE, () -> store.healthyMembers(service));
    }

    @Override
    public Optional<Versioned> get(String key) {
        return meter.time("get", UNREACHABLE, () -> store.get(key));
    }

    @Override
    public void put(String key, byte[] value) {
        meter.time("put", UNREACHABLE, () -> {
            store.put(key, value);
            return null;
        });
    }

    @Override
    public boolean compareAndSet(String key, long expectedVersion, byte[] value) {
        return meter.time("compare_and_set", UNREACHABLE, () -> store.compareAndSet(key, expectedVersion, value));
    }

    @Override
    public boolean delete(String key) {
        return meter.time("delete", UNREACHABLE, () -> store.delete(key));
    }

    @Override
    public List<Versioned> list(String keyPrefix) {
        return meter.time("list", UNREACHABLE, () -> store.list(keyPrefix));
    }

    @Override
    public Watch watchPrefix(String keyPrefix, WatchListener listener) {
        return meter.time("watch", UNREACHABLE, () -> store.watchPrefix(keyPrefix, listener));
    }

    @Override
    public Watch watchService(String service, WatchListener listener) {
        return meter.time("watch", UNREACHABLE, () -> store.watchService(service, listener));
    }

    @Override
    public LeaderLock leaderLock(String name, String holderId, Duration ttl, Duration safetyMargin, LeaseLostListener onLost) {
        return new Lock(store.leaderLock(name, holderId, ttl, safetyMargin, onLost));
    }

    @Override
    public LeaderLock leaderLock(String name, String holderId, Duration ttl, Duration safetyMargin, Duration confirmWithin,
                                 LeaseLostListener onLost) {
        return new Lock(store.leaderLock(name, holderId, ttl, safetyMargin, confirmWithin, onLost));
    }

    @Override
    public void close() {
        store.close();
    }

    /** Heartbeats and bound keys timed; the member record is published through {@link #putBound}. */
    private final class Registration implements MemberRegistration {
        private final MemberRegistration registration;

        Registration(MemberRegistration registration) {
            this.registration = registration;
        }

        @Override
        public Member member() {
            return registration.member();
        }

        @Override
        public void heartbeat(boolean healthy) {
            meter.time("heartbeat", UNREACHABLE, () -> {
                registration.heartbeat(healthy);
                return null;
            });
        }

        @Override
        public void putBound(String key, byte[] value) {
            meter.time("put_bound", UNREACHABLE, () -> {
                registration.putBound(key, value);
                return null;
            });
        }

        @Override
        public void deregister() {
            meter.time("deregister", UNREACHABLE, () -> {
                registration.deregister();
                return null;
            });
        }
    }

    /** Requests timed; the lock's own clock ({@link #isHeld}, {@link #remainingLease}) answered as is. */
    private final class Lock implements LeaderLock {
        private final LeaderLock lock;

        Lock(LeaderLock lock) {
            this.lock = lock;
        }

        @Override
        public String name() {
            return lock.name();
        }

        @Override
        public String holderId() {
            return lock.holderId();
        }

        @Override
        public boolean tryAcquire() {
            return meter.time("lock_acquire", UNREACHABLE, lock::tryAcquire);
        }

        @Override
        public boolean acquire(Duration timeout) {
            return meter.time("lock_acquire", UNREACHABLE, () -> lock.acquire(timeout));
        }

        @Override
        public void prepareAcquire() {
            lock.prepareAcquire();
        }

        @Override
        public void renew() {
            meter.time("lock_renew", UNREACHABLE, () -> {
                lock.renew();
                return null;
            });
        }

        @Override
        public void release() {
            meter.time("lock_release", UNREACHABLE, () -> {
                lock.release();
                return null;
            });
        }

        @Override
        public Optional<String> holder() {
            return meter.time("lock_holder", UNREACHABLE, lock::holder);
        }

        @Override
        public boolean isHeld() {
            return lock.isHeld();
        }

        @Override
        public void confirmAlive() {
            lock.confirmAlive();
        }

        @Override
        public Duration remainingLease() {
            return lock.remainingLease();
        }

        @Override
        public Duration ttl() {
            return lock.ttl();
        }
    }
}
