package dev.autopilot.coordination;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The behaviour every backend must show, run unchanged against each (etcd: a real 3-member cluster; Consul: a real
 * agent when CONSUL_HTTP_ADDR is set). Each test uses its own cluster scope, so tests never see each other's keys.
 * All waits derive from the backend's TTLs.
 */
public abstract class CoordinatorConformance {

    /** Settings for a coordinator on the store under test, scoped to {@code cluster}. */
    protected abstract CoordinatorSettings settings(String cluster);

    /** Lock TTL the backend supports (etcd: 3 s; Consul: its 10 s minimum). */
    protected abstract Duration lockTtl();

    /** Registration TTL. */
    protected abstract Duration memberTtl();

    /** How late past the TTL the store may expire a lease/check (etcd: its expiry sweep). */
    protected abstract Duration expirySlack();

    private final List<Coordinator> opened = new CopyOnWriteArrayList<>();
    protected String cluster;

    @BeforeEach
    void scope(TestInfo info) {
        cluster = info.getTestMethod().orElseThrow().getName().replaceAll("[^A-Za-z0-9]", "").substring(0, 20)
                + Long.toHexString(System.nanoTime() & 0xffffff);
    }

    @AfterEach
    void closeAll() {
        opened.forEach(Coordinator::close);
        opened.clear();
    }

    protected Coordinator open() {
        Coordinator c = Coordinators.open(settings(cluster));
        opened.add(c);
        return c;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The bounded log the cluster history is kept in: entries of several writers, appended out of time order and two in
     * one millisecond, list in time order; the newest {@code limit} are returned and kept by trimming (by any
     * writer, the second finding less to do); values come back byte for byte.
     */
    @Test
    void aBoundedLogKeepsItsNewestEntriesInTimeOrder() {
        Coordinator c = open();
        Coordinator other = open();
        BoundedLog log = new BoundedLog(c, "log/", 5);
        String text = "{\"message\": \"über \\\"quoted\\\"\\n<b>&</b>\"}";
        log.append(1_000, "db2", 0, utf8("b0"));
        log.append(3_000, "db1", 0, utf8(text));
        log.append(2_000, "db1", 1, utf8("a1"));
        log.append(2_000, "db2", 1, utf8("b1"));
        log.append(2_000, "db2", 1_000_002, utf8("b2"));
        for (int i = 0; i < 4; i++) {
            new BoundedLog(other, "log/", 5).append(10_000 + i, "db3", i, utf8("c" + i));
        }
        assertThat(c.list("log/")).extracting(Versioned::key).containsExactly("log/0000000001000-db2-000000",
                "log/0000000002000-db1-000001", "log/0000000002000-db2-000001", "log/0000000002000-db2-000002",
                "log/0000000003000-db1-000000", "log/0000000010000-db3-000000", "log/0000000010001-db3-000001",
                "log/0000000010002-db3-000002", "log/0000000010003-db3-000003");
        assertThat(log.newest()).extracting(Versioned::text).containsExactly(text, "c0", "c1", "c2", "c3");

        int deleted = log.trim() + new BoundedLog(other, "log/", 5).trim();
        assertThat(deleted).isEqualTo(4);
        assertThat(c.list("log/")).extracting(Versioned::text).containsExactly(text, "c0", "c1", "c2", "c3");
        assertThat(log.trim()).isZero();
        assertThat(c.get("log/0000000003000-db1-000000").orElseThrow().value()).isEqualTo(utf8(text));
        assertThatThrownBy(() -> log.append(1, "db1/../x", 0, utf8("x"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("log writer 'db1/../x'");

        // The rest of the scope without the log, around it in key order ("log/" sorts between these).
        c.put("a", utf8("1"));
        c.put("log", utf8("2"));
        c.put("log0", utf8("3"));
        c.put("members/db1", utf8("4"));
        assertThat(c.listExcept("log/")).extracting(Versioned::key).containsExactly("a", "log", "log0", "members/db1");
        assertThat(c.list("")).hasSize(9);
        // Several subtrees left out at once (the view read leaves out the history and the service registrations).
        c.put("services/x-primary/db1", utf8("5"));
        c.put("z", utf8("6"));
        assertThat(c.listExcept("services/", "log/")).extracting(Versioned::key)
                .containsExactly("a", "log", "log0", "members/db1", "z");
        assertThat(c.listExcept("log/", "log/0000000010000")).extracting(Versioned::key)
                .containsExactly("a", "log", "log0", "members/db1", "services/x-primary/db1", "z");
    }

    @Test
    void keysSupportGetPutCompareAndSetDeleteAndListWithinTheClusterScope() {
        Coordinator c = open();
        assertThat(c.get("config/a")).isEmpty();
        assertThat(c.compareAndSet("config/a", 0, utf8("v1"))).as("create when absent").isTrue();
        assertThat(c.compareAndSet("config/a", 0, utf8("v1b"))).as("create refused when present").isFalse();
        Versioned v1 = c.get("config/a").orElseThrow();
        assertThat(v1.text()).isEqualTo("v1");
        assertThat(c.compareAndSet("config/a", v1.version(), utf8("v2"))).isTrue();
        assertThat(c.compareAndSet("config/a", v1.version(), utf8("v3"))).as("stale version refused").isFalse();
        Versioned v2 = c.get("config/a").orElseThrow();
        assertThat(v2.text()).isEqualTo("v2");
        assertThat(v2.version()).isGreaterThan(v1.version());
        c.put("config/b", utf8("b"));
        c.put("other/c", utf8("c"));
        assertThat(c.list("config/")).extracting(Versioned::key).containsExactly("config/a", "config/b");
        assertThat(c.delete("config/b")).isTrue();
        assertThat(c.delete("config/b")).as("deleting a missing key").isFalse();
        assertThat(c.list("config/")).extracting(Versioned::key).containsExactly("config/a");

        Coordinator otherCluster = Coordinators.open(settings(cluster + "x"));
        opened.add(otherCluster);
        assertThat(otherCluster.get("config/a")).as("another cluster's scope is separate").isEmpty();
    }

    @Test
    void twentyConcurrentContendersNeverHoldTheLockAtTheSameTime() throws Exception {
        int contenders = 20;
        List<Coordinator> clients = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            clients.add(open());
        }
        AtomicInteger holders = new AtomicInteger();
        AtomicInteger maxHolders = new AtomicInteger();
        AtomicInteger acquisitions = new AtomicInteger();
        Set<String> distinctHolders = java.util.concurrent.ConcurrentHashMap.newKeySet();
        ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        AtomicReference<String> localHolder = new AtomicReference<>();
        AtomicBoolean stop = new AtomicBoolean();
        long runNanos = Duration.ofSeconds(6).toNanos();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < contenders; i++) {
            String id = "c" + i;
            LeaderLock lock = clients.get(i % clients.size()).leaderLock("primary", id, lockTtl(), Duration.ofSeconds(1),
                    loss -> violations.add(id + " lost its lease while holding: " + loss));
            threads.add(Thread.ofVirtual().name("contender-" + id).start(() -> {
                while (!stop.get()) {
                    if (!lock.acquire(Duration.ofMillis(500))) {
                        continue;
                    }
                    int now = holders.incrementAndGet();
                    maxHolders.accumulateAndGet(now, Math::max);
                    localHolder.set(id);
                    acquisitions.incrementAndGet();
                    distinctHolders.add(id);
                    // while held, the store must name us as holder, and no one else may think they hold it
                    for (int k = 0; k < 3; k++) {
                        String inStore = lock.holder().orElse("<none>");
                        if (!inStore.equals(id)) {
                            violations.add(id + " holds the lock but the store names " + inStore);
                        }
                        if (!id.equals(localHolder.get())) {
                            violations.add(id + " holds the lock while " + localHolder.get() + " also took it");
                        }
                    }
                    holders.decrementAndGet();
                    lock.release();
                    try {
                        Thread.sleep(ThreadLocalRandom.current().nextInt(5));
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }));
        }
        Thread.sleep(runNanos / 1_000_000); // the run length is the test's load window, not a wait for a condition
        stop.set(true);
        for (Thread t : threads) {
            t.join(Duration.ofSeconds(10));
        }
        assertThat(violations).isEmpty();
        assertThat(maxHolders.get()).as("holders at any time").isEqualTo(1);
        // the lock really moved between contenders (throughput is measured by bench/, not asserted here)
        assertThat(acquisitions.get()).as("acquisitions in 6 s").isGreaterThanOrEqualTo(5);
        assertThat(distinctHolders).as("contenders that held the lock").hasSizeGreaterThanOrEqualTo(3);
    }

    @Test
    void releasedLockIsTakenByTheWaitingContenderAndHolderIsVisibleToAll() throws Exception {
        Coordinator a = open();
        Coordinator b = open();
        LeaderLock la = a.leaderLock("primary", "db1", lockTtl(), Duration.ofSeconds(1), loss -> { });
        LeaderLock lb = b.leaderLock("primary", "db2", lockTtl(), Duration.ofSeconds(1), loss -> { });
        assertThat(la.tryAcquire()).isTrue();
        assertThat(la.isHeld()).isTrue();
        assertThat(lb.tryAcquire()).as("held by db1").isFalse();
        assertThat(lb.holder()).contains("db1");
        AtomicReference<Boolean> got = new AtomicReference<>();
        Thread waiter = Thread.ofVirtual().start(() -> got.set(lb.acquire(lockTtl().multipliedBy(3))));
        // db1 keeps the lock through several renewals: the waiter must not get it meanwhile
        Thread.sleep(lockTtl().toMillis() + 500); // a hold period longer than the TTL, to prove renewal works
        assertThat(got.get()).isNull();
        assertThat(la.isHeld()).isTrue();
        la.release();
        waiter.join(lockTtl().toMillis());
        assertThat(got.get()).isTrue();
        assertThat(lb.isHeld()).isTrue();
        assertThat(la.isHeld()).isFalse();
        assertThat(a.leaderLock("primary", "db3", lockTtl(), Duration.ofSeconds(1), l -> { }).holder()).contains("db2");
        lb.release();
        assertThat(lb.holder()).isEmpty();
    }

    @Test
    void renewalCadenceIsAtMost500msWhateverTheTtlSoTheDeadlineStaysTtlMinusMarginAhead() {
        Coordinator c = open();
        Duration margin = Duration.ofSeconds(1);
        Duration window = lockTtl().minus(margin);
        LeaderLock lock = c.leaderLock("primary", "db1", lockTtl(), margin, l -> { });
        assertThat(lock.remainingLease()).as("not held").isZero();
        assertThat(lock.tryAcquire()).isTrue();
        // The deadline sits TTL − margin after the last successful renewal's send: sampled while held, the time left
        // never exceeds that and never falls more than one renewal interval (500 ms) plus a loaded round trip below it.
        Duration least = window;
        long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (System.nanoTime() < until) { // sampling over a fixed window, not waiting for a condition
            Duration left = lock.remainingLease();
            assertThat(left).isLessThanOrEqualTo(window);
            least = left.compareTo(least) < 0 ? left : least;
            sleep(Duration.ofMillis(20));
        }
        assertThat(least).as("least time left before the holder's deadline over 3 s").isGreaterThan(window.minusMillis(500 + 400));
        lock.release();
        assertThat(lock.remainingLease()).as("released").isZero();
    }

    @Test
    void holderDeclaresTheLockLostTtlMinusMarginAfterItsLastRenewalWhenTheStoreStopsAnswering() {
        Coordinator c = open();
        Duration window = Duration.ofSeconds(2);
        Duration margin = lockTtl().minus(window);
        AtomicReference<LeaseLoss> lost = new AtomicReference<>();
        AtomicInteger calls = new AtomicInteger();
        LeaderLock lock = c.leaderLock("primary", "db1", lockTtl(), margin, loss -> {
            calls.incrementAndGet();
            lost.set(loss);
        });
        assertThat(lock.tryAcquire()).isTrue();
        long stoppedAt = System.nanoTime();
        storeStopsAnswering();
        try {
            await().atMost(window.plusSeconds(3)).pollInterval(Duration.ofMillis(10)).until(() -> lost.get() != null);
            assertThat(lock.isHeld()).isFalse();
            assertThat(lock.remainingLease()).isZero();
        } finally {
            storeAnswersAgain();
        }
        LeaseLoss loss = lost.get();
        assertThat(loss.reason()).isEqualTo(LeaseLoss.Reason.DEADLINE_PASSED);
        // by its own clock: TTL − margin after the send of the last renewal that succeeded, a few ms late at most
        assertThat(loss.sinceLastRenewal()).isBetween(window, window.plusMillis(200));
        // and that renewal was sent at most one renewal interval (plus a loaded round trip) before the store went quiet
        assertThat(Duration.ofNanos(loss.atNanos() - stoppedAt)).isBetween(window.minusMillis(500 + 400), window.plusMillis(200));
        assertThat(calls.get()).as("listener calls").isEqualTo(1);
    }

    @Test
    void holderThatStopsConfirmingItIsAliveLosesTheLockWithinTheBoundAndOthersGetItAfterTheMargin() {
        Coordinator a = open();
        Coordinator b = open();
        Duration margin = Duration.ofSeconds(1);
        Duration bound = Duration.ofMillis(1500);
        AtomicReference<LeaseLoss> lost = new AtomicReference<>();
        LeaderLock la = a.leaderLock("primary", "db1", lockTtl(), margin, bound, lost::set);
        LeaderLock lb = b.leaderLock("primary", "db2", lockTtl(), margin, l -> { });
        assertThat(la.tryAcquire()).isTrue();
        // confirmations keep it for longer than the bound
        long until = System.nanoTime() + bound.multipliedBy(2).toNanos();
        while (System.nanoTime() < until) {
            la.confirmAlive();
            assertThat(la.isHeld()).isTrue();
            assertThat(la.remainingLease()).isLessThanOrEqualTo(bound);
            sleep(Duration.ofMillis(200));
        }
        la.confirmAlive();
        long lastConfirmed = System.nanoTime();
        // the store is reachable and the renewal thread would keep the lease for good: the missing confirmations end it
        await().atMost(bound.plusSeconds(3)).pollInterval(Duration.ofMillis(10)).until(() -> lost.get() != null);
        LeaseLoss loss = lost.get();
        assertThat(loss.reason()).isEqualTo(LeaseLoss.Reason.NOT_CONFIRMED);
        assertThat(Duration.ofNanos(loss.atNanos() - lastConfirmed)).isBetween(bound.minusMillis(5), bound.plusMillis(300));
        assertThat(la.isHeld()).isFalse();
        assertThat(la.remainingLease()).isZero();
        // the lock stays taken for the fence's safety margin, then is freed without waiting out the store's TTL:
        // no attempt succeeds before the margin has passed, and the first one after it does (within a few round trips)
        AtomicLong winningAttemptStart = new AtomicLong();
        AtomicLong winningAttemptEnd = new AtomicLong();
        await().atMost(margin.plus(lockTtl()).plusSeconds(5)).pollInterval(Duration.ofMillis(20)).until(() -> {
            long start = System.nanoTime();
            if (lb.tryAcquire()) {
                winningAttemptEnd.set(System.nanoTime());
                winningAttemptStart.set(start);
                return true;
            }
            return false;
        });
        assertThat(Duration.ofNanos(winningAttemptEnd.get() - loss.atNanos())).as("contender got the lock after the loss")
                .isGreaterThanOrEqualTo(margin);
        assertThat(Duration.ofNanos(winningAttemptStart.get() - loss.atNanos())).as("contender's winning attempt began after the loss")
                .isLessThan(margin.plusSeconds(3));
        assertThat(lb.holder()).contains("db2");
    }

    @Test
    void registrationWhoseHeartbeatsStopDisappearsWithinTtlAndReturnsWhenTheyResume() {
        Coordinator c = open();
        Member m = new Member("db1", "replica", "127.0.2.9", 3306, Set.of("nofailover"), Map.of("role", "replica"));
        MemberRegistration reg = c.register(m, memberTtl());
        assertThat(c.healthyMembers("replica")).containsExactly(m);
        reg.putBound("members/db1", utf8("{\"gtid\":\"0-1-5\"}"));
        assertThat(c.get("members/db1")).isPresent();

        // heartbeats keep it for longer than the TTL
        long until = System.nanoTime() + memberTtl().multipliedBy(2).toNanos();
        while (System.nanoTime() < until) {
            reg.heartbeat(true);
            assertThat(c.healthyMembers("replica")).containsExactly(m);
            sleep(memberTtl().dividedBy(4));
        }
        // heartbeats stop: gone within the TTL (plus the store's expiry sweep), bound key with it
        long lastBeat = System.nanoTime();
        reg.heartbeat(true);
        await().atMost(memberTtl().plus(expirySlack()).plusSeconds(1)).pollInterval(Duration.ofMillis(50))
                .until(() -> c.healthyMembers("replica").isEmpty());
        Duration gone = Duration.ofNanos(System.nanoTime() - lastBeat);
        assertThat(gone).isLessThanOrEqualTo(memberTtl().plus(expirySlack()));
        assertThat(c.get("members/db1")).as("bound key expires with the registration").isEmpty();

        reg.heartbeat(true);
        assertThat(c.healthyMembers("replica")).containsExactly(m);
        assertThat(c.get("members/db1")).as("bound key returns with the registration").isPresent();
        reg.fail();
        assertThat(c.healthyMembers("replica")).as("unhealthy at once").isEmpty();
        reg.pass();
        assertThat(c.healthyMembers("replica")).containsExactly(m);
        reg.deregister();
        assertThat(c.healthyMembers("replica")).isEmpty();
    }

    @Test
    void watchDeliversEveryChangeInOrder() {
        Coordinator writer = open();
        Coordinator reader = open();
        List<String> seen = new CopyOnWriteArrayList<>();
        AtomicReference<Long> lastRevision = new AtomicReference<>(0L);
        List<String> disorder = new CopyOnWriteArrayList<>();
        try (Watch w = reader.watchPrefix("members/", e -> {
            if (e.revision() < lastRevision.get()) {
                disorder.add(e.toString());
            }
            lastRevision.set(e.revision());
            seen.add(e.type() + " " + e.key() + " " + e.text());
        })) {
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                String key = "members/m" + (i % 7);
                if (i % 10 == 9) {
                    if (writer.delete(key)) {
                        expected.add("DELETE " + key + " ");
                    }
                } else {
                    writer.put(key, utf8("v" + i));
                    expected.add("PUT " + key + " v" + i);
                }
            }
            writer.put("elsewhere/x", utf8("not watched"));
            assertThat(disorder).isEmpty();
            if (!watchCoalescesChanges()) {
                await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() >= expected.size());
                assertThat(seen).containsExactlyElementsOf(expected);
            } else {
                // state-based stores (Consul): the last change of every key arrives; PUTs arrive in store order;
                // a deletion has no index of its own there, so it is reported at the answer's index
                List<String> finalStates = new ArrayList<>();
                for (int k = 0; k < 7; k++) {
                    String key = "members/m" + k;
                    expected.stream().filter(e -> e.contains(" " + key + " ")).reduce((x, y) -> y).ifPresent(finalStates::add);
                }
                await().atMost(Duration.ofSeconds(10)).until(() -> seen.containsAll(finalStates));
                assertThat(seen).isSubsetOf(expected);
                assertThat(expected).containsSubsequence(seen.stream().filter(e -> e.startsWith("PUT")).toList());
            }
        }
    }

    @Test
    void serviceWatchReportsMembersJoiningFailingAndLeaving() {
        Coordinator c = open();
        List<String> seen = new CopyOnWriteArrayList<>();
        try (Watch w = c.watchService("replica", e -> seen.add(e.type() + " " + e.key()
                + e.member().map(m -> " " + m.address()).orElse("")))) {
            MemberRegistration reg = c.register(Member.of("db2", "replica", "127.0.2.10", 3306), memberTtl());
            await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains("PUT db2 127.0.2.10"));
            reg.fail();
            await().atMost(Duration.ofSeconds(10)).until(() -> seen.stream().anyMatch(s -> s.startsWith("DELETE db2")));
            reg.pass();
            await().atMost(Duration.ofSeconds(10)).until(() -> seen.stream().filter(s -> s.startsWith("PUT db2")).count() == 2);
            reg.deregister();
            await().atMost(Duration.ofSeconds(10)).until(() -> seen.stream().filter(s -> s.startsWith("DELETE db2")).count() == 2);
        }
    }

    @Test
    void storeUnreachableAtStartFailsWithAClearErrorAfterBoundedRetries() {
        CoordinatorSettings s = unreachableSettings().withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(2));
        long t0 = System.nanoTime();
        Throwable error = org.assertj.core.api.Assertions.catchThrowable(() -> Coordinators.open(s).close());
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertThat(error).isInstanceOf(CoordinationException.class).hasMessageContaining("unreachable")
                .hasMessageContaining(s.endpoints().getFirst().getHost());
        assertThat(took).isBetween(Duration.ofSeconds(2), Duration.ofSeconds(6));
    }

    /** Whether the backend's watch reports state rather than history (Consul blocking queries). */
    protected boolean watchCoalescesChanges() {
        return false;
    }

    /** The store stops answering every client (requests hang) until {@link #storeAnswersAgain()}; aborts where impossible. */
    protected abstract void storeStopsAnswering();

    /** Ends {@link #storeStopsAnswering()}; returns once the store answers. */
    protected abstract void storeAnswersAgain();

    /** Settings pointing at an address where nothing listens. */
    protected abstract CoordinatorSettings unreachableSettings();

    protected static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
