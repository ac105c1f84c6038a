package dev.autopilot.coordination.etcd;

import dev.autopilot.coordination.Coordinator;
import dev.autopilot.coordination.CoordinatorSettings;
import dev.autopilot.coordination.Coordinators;
import dev.autopilot.coordination.LeaderLock;
import dev.autopilot.coordination.Watch;
import dev.autopilot.testkit.etcd.EtcdCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Benchmark (not part of the build; run bench/coordination/run.sh): on a real 3-member etcd cluster
 * (127.0.2.7-9), lock hand-over latency — from the holder calling release() to the waiting contender's acquire()
 * returning true — and watch notification latency — from put() being called to the listener running in another
 * client. Prints median and p99.
 */
@Tag("bench")
class CoordinationBench {

    static final int HANDOVERS = 100;
    static final int NOTIFICATIONS = 500;

    @Test
    void printLockHandOverAndWatchNotificationLatency() throws Exception {
        try (EtcdCluster etcd = EtcdCluster.builder().addresses("127.0.2.7", "127.0.2.8", "127.0.2.9").start();
             Coordinator a = open(etcd);
             Coordinator b = open(etcd)) {
            System.out.println("BENCH coordination etcd 3 members, " + Runtime.getRuntime().availableProcessors() + " cores");
            report("lock hand-over (release -> other contender holds)", handOvers(a, b));
            report("watch notification (put -> listener in another client)", notifications(a, b));
        }
    }

    private static Coordinator open(EtcdCluster etcd) {
        return Coordinators.open(CoordinatorSettings.etcd("bench", etcd.endpoints()));
    }

    private static List<Long> handOvers(Coordinator a, Coordinator b) throws Exception {
        LeaderLock[] locks = {
            a.leaderLock("primary", "a", Duration.ofSeconds(3), Duration.ofSeconds(1), l -> { }),
            b.leaderLock("primary", "b", Duration.ofSeconds(3), Duration.ofSeconds(1), l -> { })};
        List<Long> nanos = new ArrayList<>();
        if (!locks[0].acquire(Duration.ofSeconds(5))) {
            throw new IllegalStateException("first acquire failed");
        }
        for (int i = 0; i < HANDOVERS + 5; i++) {
            LeaderLock holder = locks[i % 2];
            LeaderLock waiter = locks[(i + 1) % 2];
            BlockingQueue<Long> acquiredAt = new ArrayBlockingQueue<>(1);
            Thread t = Thread.ofVirtual().start(() -> {
                if (waiter.acquire(Duration.ofSeconds(10))) {
                    acquiredAt.add(System.nanoTime());
                }
            });
            Thread.sleep(30); // let the waiter find the lock held and start its watch, as a real standby would be
            long released = System.nanoTime();
            holder.release();
            Long at = acquiredAt.poll(10, TimeUnit.SECONDS);
            t.join();
            if (at == null) {
                throw new IllegalStateException("hand-over " + i + " did not happen");
            }
            if (i >= 5) { // warm-up
                nanos.add(at - released);
            }
        }
        locks[HANDOVERS % 2 == 0 ? 1 : 0].release();
        locks[0].release();
        locks[1].release();
        return nanos;
    }

    private static List<Long> notifications(Coordinator writer, Coordinator reader) throws Exception {
        BlockingQueue<Long> latencies = new ArrayBlockingQueue<>(NOTIFICATIONS + 10);
        try (Watch w = reader.watchPrefix("bench/", e -> latencies.add(System.nanoTime() - Long.parseLong(e.text())))) {
            for (int i = 0; i < NOTIFICATIONS + 10; i++) {
                writer.put("bench/k", Long.toString(System.nanoTime()).getBytes(StandardCharsets.UTF_8));
                Thread.sleep(5);
            }
            List<Long> out = new ArrayList<>();
            for (int i = 0; i < NOTIFICATIONS + 10; i++) {
                Long v = latencies.poll(10, TimeUnit.SECONDS);
                if (v == null) {
                    throw new IllegalStateException("notification " + i + " missing");
                }
                if (i >= 10) {
                    out.add(v);
                }
            }
            return out;
        }
    }

    private static void report(String what, List<Long> nanos) {
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        double median = sorted.get(sorted.size() / 2) / 1e6;
        double p99 = sorted.get((int) Math.ceil(sorted.size() * 0.99) - 1) / 1e6;
        System.out.printf("BENCH %-55s n=%d median=%.2f ms p99=%.2f ms max=%.2f ms%n", what, sorted.size(), median, p99,
                sorted.getLast() / 1e6);
    }
}
