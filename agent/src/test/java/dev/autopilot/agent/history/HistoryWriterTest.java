package dev.autopilot.agent.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.autopilot.coordination.Coordinator;
import dev.autopilot.coordination.CoordinatorSettings;
import dev.autopilot.coordination.Coordinators;
import dev.autopilot.testkit.etcd.EtcdCluster;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The history writer against a real etcd on 127.0.81.1: recording never waits for the store, a store outage loses only
 * what overflows the bounded buffer (and says how much), and the history stays bounded by trimming.
 */
@Timeout(60)
class HistoryWriterTest {
    private static EtcdCluster etcd;

    @BeforeAll
    static void start() {
        etcd = EtcdCluster.builder().addresses("127.0.81.1").start();
    }

    @AfterAll
    static void stop() {
        if (etcd != null) {
            etcd.close();
        }
    }

    private static Coordinator open(String cluster) {
        return Coordinators.open(CoordinatorSettings.etcd(cluster + Long.toHexString(System.nanoTime() & 0xffffff), etcd.endpoints())
                .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(5)));
    }

    @Test
    void recordingNeverWaitsForTheStoreAndAnOutageLosesOnlyWhatOverflowsTheBuffer() {
        try (Coordinator store = open("outage");
             HistoryWriter writer = new HistoryWriter("db1", new HistoryLog(store), Clock.systemUTC(), 10).start()) {
            HistoryLog log = new HistoryLog(store);
            writer.record(EventKind.LOCK_TAKEN, "before the outage", Map.of("lockFreeMillis", 12));
            await().atMost(Duration.ofSeconds(5)).until(() -> log.read().size() == 1);

            etcd.pause(0);
            try {
                long start = System.nanoTime();
                for (int i = 0; i < 25; i++) {
                    writer.record(EventKind.PROMOTED, "during " + i, Map.of("drainMillis", i));
                }
                long tookMillis = (System.nanoTime() - start) / 1_000_000;
                assertThat(tookMillis).as("25 records while the store does not answer (its request timeout is 1 s)").isLessThan(200);
                assertThat(writer.pending()).isLessThanOrEqualTo(10);
            } finally {
                etcd.resume(0);
            }

            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                List<HistoryEvent> events = log.read();
                List<String> during = events.stream().filter(e -> e.is(EventKind.PROMOTED)).map(HistoryEvent::message).toList();
                List<HistoryEvent> drops = events.stream().filter(e -> e.is(EventKind.HISTORY_DROPPED)).toList();
                assertThat(during).as(events.toString()).contains("during 15", "during 16", "during 17", "during 18", "during 19",
                        "during 20", "during 21", "during 22", "during 23", "during 24");
                assertThat(drops).as(events.toString()).hasSize(1);
                assertThat(drops.getFirst().number("dropped", -1)).isEqualTo(25 - during.size());
                assertThat(events.getFirst().message()).isEqualTo("before the outage");
                assertThat(events.getFirst().number("lockFreeMillis", -1)).isEqualTo(12);
            });
        }
    }

    @Test
    void theHistoryKeepsItsNewestEventsWithinTheLimitAndInOrder() {
        try (Coordinator store = open("bound");
             HistoryWriter writer = new HistoryWriter("db2", new HistoryLog(store, 20), Clock.systemUTC(), 100).start()) {
            for (int i = 0; i < 45; i++) {
                writer.record(EventKind.REPOINTED, "event " + i, Map.of("n", i, "primary", "db1"));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> writer.pending() == 0);
            // The writer trims every TRIM_EVERY appends: the store holds at most the limit plus those.
            assertThat(store.list(HistoryLog.PREFIX).size()).isBetween(20, 20 + HistoryWriter.TRIM_EVERY);
            List<HistoryEvent> events = new HistoryLog(store, 20).read();
            assertThat(events).hasSize(20);
            assertThat(events).extracting(e -> e.number("n", -1)).isSorted().endsWith(44L).startsWith(25L);
            assertThat(events.getLast()).satisfies(e -> {
                assertThat(e.member()).isEqualTo("db2");
                assertThat(e.kind()).isEqualTo("repointed");
                assertThat(e.details()).containsEntry("primary", "db1");
            });
        }
    }
}
