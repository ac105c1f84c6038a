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
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
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
        try (Coordinator writer = open("watchfail", Duration.ofSeconds(20)); Coordinator reader = open("watchfail", Duration.ofSeconds(20))) {
            List<String> seen = new CopyOnWriteArrayList<>();
            List<String> expected = new ArrayList<>();
            List<CoordinationException> errors = new CopyOnWriteArrayList<>();
            try (Watch w = reader.watchPrefix("state/", new WatchListener() {
                @Override
                public void onEvent(WatchEvent e) {
                    seen.add(e.key() + "=" + e.text());
                }

                @Override
                public void onError(CoordinationException error) {
                    errors.add(error);
                }
            })) {
                int n = 0;
                // the watch stream is on one of the three members: kill each in turn, so one kill hits it
                for (int member = 0; member < 3; member++) {
                    for (int i = 0; i < 10; i++, n++) {
                        writer.put("state/k" + (n % 3), ("v" + n).getBytes(StandardCharsets.UTF_8));
                        expected.add("state/k" + (n % 3) + "=v" + n);
                    }
                    etcd.kill(member);
                    for (int i = 0; i < 10; i++, n++) {
                        writer.put("state/k" + (n % 3), ("v" + n).getBytes(StandardCharsets.UTF_8));
                        expected.add("state/k" + (n % 3) + "=v" + n);
                    }
                    int delivered = expected.size();
                    await().atMost(Duration.ofSeconds(15)).until(() -> seen.size() >= delivered);
                    etcd.restart(member);
                }
                assertThat(seen).containsExactlyElementsOf(expected);
                assertThat(errors).as("the watch resumed by itself; the listener was never told to re-read").isEmpty();
            }
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
