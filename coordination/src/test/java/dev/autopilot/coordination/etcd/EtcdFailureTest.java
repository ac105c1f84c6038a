package dev.autopilot.coordination.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.autopilot.coordination.ChildOutput;
import dev.autopilot.coordination.CoordinationException;
import dev.autopilot.coordination.Coordinator;
import dev.autopilot.coordination.CoordinatorSettings;
import dev.autopilot.coordination.Coordinators;
import dev.autopilot.coordination.LeaderLock;
import dev.autopilot.coordination.LeaseLoss;
import dev.autopilot.coordination.LockHolderMain;
import dev.autopilot.coordination.Watch;
import dev.autopilot.coordination.WatchEvent;
import dev.autopilot.coordination.WatchListener;
import dev.autopilot.coordination.support.StoreHealth;
import dev.autopilot.testkit.etcd.EtcdCluster;
import dev.autopilot.testkit.net.JavaCommand;
import dev.autopilot.testkit.net.NetworkNamespace;
import dev.autopilot.testkit.net.StallingRelay;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/** Real faults on a real 3-member etcd cluster (127.0.2.4-6): killed holder, killed members, store gone. */
@Timeout(120)
class EtcdFailureTest {

    static final Duration TTL = Duration.ofSeconds(3);
    static final Duration MARGIN = Duration.ofSeconds(1);
    static EtcdCluster etcd;

    @BeforeAll
    static void startCluster() {
        etcd = EtcdCluster.builder().addresses("127.0.2.4", "127.0.2.5", "127.0.2.6").start();
    }

    @AfterAll
    static void stopCluster() {
        if (etcd != null) {
            etcd.close();
        }
    }

    private static Coordinator open(String cluster, Duration requestTimeout) {
        return Coordinators.open(CoordinatorSettings.etcd(cluster, etcd.endpoints()).withTimeouts(requestTimeout, Duration.ofSeconds(10)));
    }

    @Test
    void killedHolderProcessFreesTheLockWithinTtlPlusOneSecondAndAnotherContenderTakesIt() throws IOException {
        Path out = Files.createTempFile("lock-holder", ".out");
        Process holder = new ProcessBuilder(JavaCommand.of(LockHolderMain.class, etcd.endpointsCsv(), "killed", "primary", "holder",
                Long.toString(TTL.toMillis()), Long.toString(MARGIN.toMillis())))
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try (Coordinator c = open("killed", Duration.ofSeconds(3))) {
            ChildOutput holderOut = new ChildOutput(out);
            await().atMost(Duration.ofSeconds(30)).until(() -> holderOut.line("ACQUIRED").isPresent() || !holder.isAlive());
            assertThat(holderOut.line("ACQUIRED")).as(holderOut.text()).isPresent();
            LeaderLock contender = c.leaderLock("primary", "contender", TTL, MARGIN, loss -> { });
            assertThat(contender.tryAcquire()).isFalse();
            assertThat(contender.holder()).contains("holder");

            long killedAt = System.nanoTime();
            NetworkNamespace.destroyTree(holder);
            assertThat(contender.acquire(TTL.plusSeconds(2))).isTrue();
            Duration free = Duration.ofNanos(System.nanoTime() - killedAt);
            assertThat(free).as("lock free after the holder was killed").isLessThanOrEqualTo(TTL.plusSeconds(1));
            assertThat(contender.holder()).contains("contender");
            contender.release();
        } finally {
            NetworkNamespace.destroyTree(holder);
            Files.deleteIfExists(out);
        }
    }

    @Test
    void watchDeliversEveryChangeInOrderAfterTheMemberItIsConnectedToIsKilled() {
        // 20 s per operation: a put that a follower forwarded to the leader just killed is dropped, and etcd answers
        // "request timed out" only after its own 7 s (5 s + 2 election timeouts); the retry then reaches the new leader.
        Recorder watched = watchWhile("watchfail", Duration.ofSeconds(20), (writer, r) -> {
            // the watch stream is on one of the three members: kill each in turn, so one kill hits it
            for (int member = 0; member < 3; member++) {
                r.put(writer, 10);
                etcd.kill(member);
                r.put(writer, 10);
                r.awaitAll(Duration.ofSeconds(15));
                etcd.restart(member);
            }
        });
        assertThat(watched.seen).containsExactlyElementsOf(watched.expected);
        assertThat(watched.errors).as("the watch resumed by itself; the listener was never told to re-read").isEmpty();
    }

    @Test
    void watchDeliversEveryChangeInOrderWhileTheMemberItIsConnectedToIsPaused() {
        // A paused (SIGSTOP) member keeps its connections open and answers nothing: the watch notices the silence,
        // finds the member not answering and resumes on another. 8 s per operation: an attempt gets half of it.
        Recorder watched = watchWhile("watchpause", Duration.ofSeconds(8), (writer, r) -> {
            // the watch stream is on one of the three members: pause each in turn, so one pause hits it
            for (int member = 0; member < 3; member++) {
                etcd.pause(member);
                try {
                    r.put(writer, 10);
                    r.awaitAll(Duration.ofSeconds(30));
                } finally {
                    etcd.resume(member);
                }
                etcd.awaitHealthy();
            }
        });
        // A put whose attempt timed out on the paused member and was retried on another may reach etcd when the member
        // runs again; puts are written by revision, so such a late repeat changes nothing: every change arrives once, in order.
        assertThat(watched.seen).containsExactlyElementsOf(watched.expected);
        assertThat(watched.errors).as("the watch resumed by itself; the listener was never told to re-read").isEmpty();
    }

    @Test
    void aWriteRetriedOnAnotherMemberIsNotUndoneByItsLateRepeat() {
        // A request held up on its way to a member (a proxy, a stalled link, a member stopped before it read it) reaches
        // it after the client gave up and its retry on another member succeeded, and after newer writes. Here a put and
        // a member record, each written twice: the first attempts of the first writes arrive last. They must not bring
        // the old values back (an election reading a member record would compare a stale position).
        var first = etcd.endpoints().getFirst();
        try (StallingRelay relay = new StallingRelay("127.0.2.7", new java.net.InetSocketAddress(first.getHost(), first.getPort()))) {
            List<java.net.URI> relayFirst = new ArrayList<>(etcd.endpoints());
            relayFirst.set(0, relay.endpoint());
            var settings = CoordinatorSettings.etcd("late", relayFirst).withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(10));
            try (Coordinator writer = Coordinators.open(settings); Coordinator registrar = Coordinators.open(settings);
                 var registration = registrar.register(dev.autopilot.coordination.Member.of("db1", "late-members", "127.0.0.1", 8080),
                         Duration.ofSeconds(60))) {
                relay.stall();
                writer.put("state", bytes("old")); // the first attempt is held; the retry lands on another member
                registration.putBound("members/db1", bytes("old record"));
                writer.put("state", bytes("new"));
                registration.putBound("members/db1", bytes("new record"));
                relay.release();
                await("etcd answered both held-back requests").atMost(Duration.ofSeconds(10)).until(() -> relay.lateAnswers() >= 2);

                assertThat(writer.get("state").orElseThrow().text()).isEqualTo("new");
                assertThat(writer.get("members/db1").orElseThrow().text()).isEqualTo("new record");
            }
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Opens a writer and a reader watching {@code state/} on {@code cluster}, runs {@code faults}, returns what was seen. */
    private static Recorder watchWhile(String cluster, Duration requestTimeout, BiConsumer<Coordinator, Recorder> faults) {
        try (Coordinator writer = open(cluster, requestTimeout); Coordinator reader = open(cluster, requestTimeout)) {
            Recorder recorder = new Recorder();
            try (Watch w = reader.watchPrefix("state/", recorder)) {
                faults.accept(writer, recorder);
            }
            return recorder;
        }
    }

    /** What a watch delivered (each change as {@code key=value}, and any error) and what was written. */
    private static final class Recorder implements WatchListener {
        final List<String> seen = new CopyOnWriteArrayList<>();
        final List<CoordinationException> errors = new CopyOnWriteArrayList<>();
        final List<String> expected = new ArrayList<>();

        /** {@code count} changes, each to one of three keys with a value never used before. */
        void put(Coordinator writer, int count) {
            for (int i = 0; i < count; i++) {
                int n = expected.size();
                writer.put("state/k" + (n % 3), ("v" + n).getBytes(StandardCharsets.UTF_8));
                expected.add("state/k" + (n % 3) + "=v" + n);
            }
        }

        void awaitAll(Duration bound) {
            int written = expected.size();
            await().atMost(bound).until(() -> seen.size() >= written);
        }

        @Override
        public void onEvent(WatchEvent e) {
            seen.add(e.key() + "=" + e.text());
        }

        @Override
        public void onError(CoordinationException error) {
            errors.add(error);
        }
    }

    @Test
    void storeUnreachableMidRunThrowsLogsOncePerStateChangeFiresLeaseLossAndRecovers() {
        Logger healthLog = (Logger) LoggerFactory.getLogger(StoreHealth.class);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        healthLog.addAppender(logs);
        try (Coordinator c = open("outage", Duration.ofSeconds(1))) {
            c.put("x", new byte[] {1});
            AtomicReference<LeaseLoss> lost = new AtomicReference<>();
            LeaderLock lock = c.leaderLock("primary", "db1", TTL, MARGIN, lost::set);
            assertThat(lock.tryAcquire()).isTrue();

            long downAt = System.nanoTime();
            etcd.kill(0, 1, 2);
            for (int i = 0; i < 3; i++) {
                assertThatThrownBy(() -> c.get("x")).isInstanceOf(CoordinationException.class).hasMessageContaining("get");
            }
            await().atMost(TTL).until(() -> lost.get() != null);
            assertThat(lost.get().reason()).isEqualTo(LeaseLoss.Reason.DEADLINE_PASSED);
            assertThat(Duration.ofNanos(lost.get().atNanos() - downAt)).as("loss declared by the holder's own clock")
                    .isLessThanOrEqualTo(TTL.minus(MARGIN).plusMillis(200));
            assertThat(lock.isHeld()).isFalse();

            etcd.restart(0, 1, 2);
            await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(() -> c.get("x").isPresent());
            assertThat(lock.acquire(TTL.multipliedBy(2))).as("lock can be taken again after recovery").isTrue();
            lock.release();
        } finally {
            healthLog.detachAppender(logs);
            if (etcd.members().stream().anyMatch(m -> !m.isRunning())) {
                etcd.restart(etcd.members().stream().filter(m -> !m.isRunning()).mapToInt(etcd.members()::indexOf).toArray());
            }
        }
        List<String> lines = logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(lines.stream().filter(l -> l.contains("unreachable"))).as(String.join("\n", lines)).hasSize(1);
        assertThat(lines.stream().filter(l -> l.contains("reachable again"))).as(String.join("\n", lines)).hasSize(1);
    }

    @Test
    void aClientOpenedWhileTheStoreIsDownWaitsForItWithinTheStartupTimeout() throws Exception {
        etcd.kill(0, 1, 2);
        try {
            var settings = CoordinatorSettings.etcd("late-store", etcd.endpoints()).withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(60));
            var opening = java.util.concurrent.CompletableFuture.supplyAsync(() -> Coordinators.open(settings));
            await("still waiting, not failed").during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4)).until(() -> !opening.isDone());
            etcd.restart(0, 1, 2);
            try (Coordinator c = opening.get(60, java.util.concurrent.TimeUnit.SECONDS)) {
                c.put("x", new byte[] {1});
                assertThat(c.get("x")).isPresent();
            }
        } finally {
            if (etcd.members().stream().anyMatch(m -> !m.isRunning())) {
                etcd.restart(etcd.members().stream().filter(m -> !m.isRunning()).mapToInt(etcd.members()::indexOf).toArray());
            }
        }
        assertThatThrownBy(() -> Coordinators.open(CoordinatorSettings.etcd("no-store", List.of(java.net.URI.create("http://127.0.2.9:2379")))
                .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(2))))
                .as("a store that never comes is reported once the startup timeout has passed")
                .isInstanceOf(CoordinationException.class).hasMessageContaining("at startup").hasMessageContaining("127.0.2.9");
    }
}
