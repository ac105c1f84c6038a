package dev.autopilot.agent.ha;

import dev.autopilot.agent.cluster.ClusterWrites;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.agent.cluster.Promotion;
import dev.autopilot.agent.cluster.SwitchoverRequest;
import dev.autopilot.coordination.LeaderLock;
import dev.autopilot.mysql.flavor.ReplicationSource;
import dev.autopilot.mysql.gtid.GtidPosition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * In-memory stand-ins for the seams of {@link HaCycle} (database, lock, cluster keys) and its clock: the rules
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
        public boolean stop() {
            steps.add("stop");
            if (fenceWorks) {
                alive = false;
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
        public void detachReplication() {
            step("detachReplication");
        }

        @Override
        public void prepareWrites() {
            step("prepareWrites");
        }

        @Override
        public void allowWrites(Duration authority) {
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

        /** {@code acquire} calls, whether the other holder lets go while one waits, and what runs as the wait starts. */
        int waits;
        boolean otherReleasesWhileWaited;
        Runnable onWait = () -> { };

        @Override
        public boolean acquire(Duration timeout) {
            waits++;
            onWait.run();
            if (otherReleasesWhileWaited) {
                otherHolder = "";
            }
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
        final List<dev.autopilot.agent.cluster.FailsafeRoster> failsafeRosters = new ArrayList<>();

        @Override
        public void publishFailsafeRoster(dev.autopilot.agent.cluster.FailsafeRoster roster) {
            failsafeRosters.add(roster);
        }

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

    /** Peers that confirm failsafe requests when listed in {@link #answering}; every round is recorded. */
    static final class Peers implements FailsafePeers {
        final Set<String> answering = new HashSet<>();
        final List<List<String>> rounds = new ArrayList<>();
        final List<Duration> windows = new ArrayList<>();

        @Override
        public Set<String> confirm(String primary, Collection<MemberRecord> members, Duration window, Duration timeout) {
            rounds.add(members.stream().map(MemberRecord::name).toList());
            windows.add(window);
            Set<String> confirmed = new HashSet<>();
            members.stream().map(MemberRecord::name).filter(answering::contains).forEach(confirmed::add);
            return confirmed;
        }
    }

    /** An alarm the test fires by hand, on the fake clock. */
    static final class Alarm implements DeadlineAlarm {
        private final Clock clock;
        private LongSupplier deadline;
        private Runnable action;

        Alarm(Clock clock) {
            this.clock = clock;
        }

        @Override
        public void arm(LongSupplier deadlineNanos, Runnable whenPassed) {
            deadline = deadlineNanos;
            action = whenPassed;
        }

        boolean armed() {
            return action != null;
        }

        /** Runs the action if armed and its deadline has passed by the fake clock; whether it ran. */
        boolean fireIfPassed() {
            if (action == null || deadline.getAsLong() - clock.nanos.get() > 0) {
                return false;
            }
            Runnable run = action;
            action = null;
            run.run();
            return true;
        }
    }
}
