package dev.autopilot.agent.ha;

import dev.autopilot.agent.cluster.ClusterWrites;
import dev.autopilot.agent.cluster.Promotion;
import dev.autopilot.agent.cluster.SwitchoverRequest;
import dev.autopilot.coordination.LeaderLock;
import dev.autopilot.mysql.flavor.ReplicationSource;
import dev.autopilot.mysql.gtid.GtidPosition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * In-memory stand-ins for the three seams of {@link HaCycle} (database, lock, cluster keys) and its clock: the rules
 * are pure decision logic, so they are tested here case by case; the real components are proven by the cluster tests.
 */
final class HaFakes {
    private HaFakes() {
    }

    /** A database that records every step in {@link #steps} and can be told to fail at one. */
    static final class Database implements DatabaseControl {
        final List<String> steps = new ArrayList<>();
        boolean readOnly = true;
        boolean alive = true;
        boolean fenceWorks = true;
        boolean relayLogApplies = true;
        boolean reachesPosition = true;
        String failAt = "";
        long serverId = 11;
        GtidPosition position = GtidPosition.parse("0-1-10");
        Runnable duringDrain = () -> { };
        ReplicationSource followed;

        private void step(String name) {
            steps.add(name);
            if (name.equals(failAt)) {
                throw new IllegalStateException(name + " failed (injected)");
            }
        }

        @Override
        public boolean fence() {
            steps.add("fence");
            if (fenceWorks) {
                readOnly = true;
            }
            return fenceWorks;
        }

        @Override
        public boolean processAlive() {
            return alive;
        }

        @Override
        public long serverId() {
            return serverId;
        }

        @Override
        public GtidPosition position() {
            step("position");
            return position;
        }

        @Override
        public boolean awaitPosition(GtidPosition target, Duration timeout) {
            step("awaitPosition " + target);
            return reachesPosition;
        }

        @Override
        public void stopReceiver() {
            step("stopReceiver");
        }

        @Override
        public boolean awaitRelayLogApplied(Duration timeout) {
            step("awaitRelayLogApplied");
            duringDrain.run();
            return relayLogApplies;
        }

        @Override
        public void prepareWrites() {
            step("prepareWrites");
        }

        @Override
        public void allowWrites() {
            step("allowWrites");
            readOnly = false;
        }

        @Override
        public void follow(ReplicationSource source, GtidPosition start) {
            step("follow " + source.host() + " from " + start);
            followed = source;
            readOnly = true;
        }

        @Override
        public void startReplica() {
            step("startReplica");
        }

        @Override
        public void acknowledge(boolean enabled) {
            step("acknowledge " + enabled);
        }
    }

    /** A leader lock held or not as the test says; {@code tryAcquire} wins unless another holder is set. */
    static final class Lock implements LeaderLock {
        boolean held;
        String otherHolder = "";
        int releases;
        RuntimeException releaseFailure;

        @Override
        public String name() {
            return "leader";
        }

        @Override
        public String holderId() {
            return "db1";
        }

        @Override
        public boolean tryAcquire() {
            if (!otherHolder.isEmpty()) {
                return false;
            }
            held = true;
            return true;
        }

        @Override
        public boolean acquire(Duration timeout) {
            return tryAcquire();
        }

        @Override
        public void renew() {
        }

        @Override
        public void release() {
            held = false;
            releases++;
            if (releaseFailure != null) {
                throw releaseFailure;
            }
        }

        @Override
        public Optional<String> holder() {
            return held ? Optional.of("db1") : Optional.of(otherHolder).filter(h -> !h.isEmpty());
        }

        @Override
        public boolean isHeld() {
            return held;
        }

        @Override
        public Duration ttl() {
            return Duration.ofSeconds(4);
        }

        int confirmations;

        @Override
        public void confirmAlive() {
            confirmations++;
        }

        @Override
        public Duration remainingLease() {
            return held ? Duration.ofSeconds(3) : Duration.ZERO;
        }
    }

    /** The cluster keys the rules write. */
    static final class Store implements ClusterWrites {
        final List<Promotion> promotions = new ArrayList<>();
        final List<SwitchoverRequest> switchoverRequests = new ArrayList<>();
        int switchoverCleared;
        List<String> roster = List.of();

        @Override
        public void recordPromotion(Promotion promotion) {
            promotions.add(promotion);
        }

        @Override
        public void requestSwitchover(SwitchoverRequest request) {
            switchoverRequests.add(request);
        }

        @Override
        public void clearSwitchover() {
            switchoverCleared++;
        }

        @Override
        public List<String> roster() {
            return roster;
        }
    }

    /** A clock the test moves by hand. */
    static final class Clock {
        final AtomicLong nanos = new AtomicLong(1_000_000_000L);
        final AtomicLong millis = new AtomicLong(1_700_000_000_000L);

        HaClock haClock() {
            return new HaClock(nanos::get, millis::get);
        }

        void advance(Duration d) {
            nanos.addAndGet(d.toNanos());
            millis.addAndGet(d.toMillis());
        }
    }
}
