package dev.autopilot.agent.ha;

import dev.autopilot.agent.cluster.ClusterStore;
import dev.autopilot.agent.config.AgentConfig;
import dev.autopilot.agent.config.AgentConfigLoader;
import dev.autopilot.coordination.Coordinator;
import dev.autopilot.coordination.CoordinatorSettings;
import dev.autopilot.coordination.Coordinators;
import dev.autopilot.coordination.LeaderLock;
import dev.autopilot.coordination.Watch;
import dev.autopilot.mysql.auth.Credentials;
import dev.autopilot.mysql.auth.Secret;
import dev.autopilot.testkit.etcd.EtcdCluster;
import dev.autopilot.testkit.etcd.EtcdMember;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Benchmark (not part of the build; run bench/scale/run.sh): M simulated members in M/3 clusters of three on one real
 * 3-member etcd (127.0.90.1-3). Each member is the agent's real coordination code — its own etcd client
 * ({@link Coordinators#open}), {@link ClusterStore}, leader lock, {@link HaCycle}, {@link HaLoop} with its presence and
 * service registrations, and the agent's three wake-up watches — with the database simulated in-process
 * ({@link SimulatedDatabase}). Prints per M: store requests per member and second by gRPC method (from etcd's
 * /metrics), etcd CPU and db size, JVM threads per member, watch notification latency, and lock hand-over after a
 * primary's node crash (its database dies and its agent's connection closes, which frees the lock at once, as a lease
 * expiry would after the TTL): from the crash until another member holds the lock.
 *
 * <p>Properties: {@code scale.members} (default "30,300,1000"), {@code scale.window} seconds of steady state measured
 * (30), {@code scale.handovers} per M (30).
 */
@Tag("bench")
class ScaleBench {
    private static final String[] ETCD = {"127.0.90.1", "127.0.90.2", "127.0.90.3"};
    private static final int CLUSTER_SIZE = 3;
    private static final Credentials REPLICATION = new Credentials("repl", Secret.of("repl-secret"));

    @TempDir
    Path dir;

    @Test
    void printStoreCostAndLatenciesAsMembersGrow() throws Exception {
        int[] sizes = Arrays.stream(System.getProperty("scale.members", "30,300,1000").split(",")).mapToInt(s -> Integer.parseInt(s.trim()))
                .toArray();
        Duration window = Duration.ofSeconds(Long.getLong("scale.window", 30));
        int handovers = Integer.getInteger("scale.handovers", 30);
        System.out.printf("BENCH scale: %d cores, clusters of %d, loopInterval 500 ms, lock ttl 4 s; load average %s%n",
                Runtime.getRuntime().availableProcessors(), CLUSTER_SIZE, loadAverage());
        for (int m : sizes) {
            try {
                new Run(m, window, handovers).measure();
            } catch (Exception | OutOfMemoryError e) {
                System.out.printf("BENCH M=%d FAILED: %s%n", m, e);
                e.printStackTrace(System.out);
                break;
            }
        }
    }

    /** One M: a fresh etcd, the members, steady-state counters, watch latency, hand-overs, teardown. */
    private final class Run {
        final int m;
        final Duration window;
        final int handovers;
        final List<SimMember> members = Collections.synchronizedList(new ArrayList<>());
        final Map<String, SimulatedDatabase> databases = new ConcurrentHashMap<>();
        /** Outcomes other than Leading and Following, by kind: in a steady state there are none. */
        final Map<String, AtomicInteger> unsteady = new ConcurrentHashMap<>();

        Run(int m, Duration window, int handovers) {
            this.m = m;
            this.window = window;
            this.handovers = handovers;
        }

        void measure() throws Exception {
            try (EtcdCluster etcd = EtcdCluster.builder().addresses(ETCD).dataRoot(Files.createTempDirectory(dir, "etcd")).start();
                 ExecutorService starter = Executors.newVirtualThreadPerTaskExecutor()) {
                long t0 = System.nanoTime();
                startMembers(etcd, starter);
                long started = System.nanoTime();
                awaitSettled(Duration.ofSeconds(60 + m / 10));
                System.out.printf("BENCH M=%d started in %.1f s, settled in %.1f s (one primary and two replicas in each of %d clusters);"
                                + " load average %s%n",
                        m, (started - t0) / 1e9, (System.nanoTime() - started) / 1e9, m / CLUSTER_SIZE, loadAverage());
                Thread.sleep(5_000); // past the first records' 5 s republish, into steady state
                steadyState(etcd);
                handOvers(etcd);
            } finally {
                stopMembers();
            }
        }

        private void startMembers(EtcdCluster etcd, ExecutorService starter) throws Exception {
            Semaphore connecting = new Semaphore(16); // as many agents starting at once as a fleet roll-out would have
            List<Future<?>> starts = new ArrayList<>();
            for (int i = 0; i < m; i++) {
                int index = i;
                starts.add(starter.submit(() -> {
                    connecting.acquire();
                    try {
                        members.add(SimMember.start(index, etcd.endpoints(), dir, databases, this::observe));
                    } finally {
                        connecting.release();
                    }
                    return null;
                }));
            }
            for (Future<?> f : starts) {
                f.get();
            }
        }

        private void observe(Outcome outcome) {
            if (!(outcome instanceof Outcome.Leading) && !(outcome instanceof Outcome.Following)) {
                unsteady.computeIfAbsent(outcome.getClass().getSimpleName(), k -> new AtomicInteger()).incrementAndGet();
            }
        }

        private void awaitSettled(Duration bound) throws InterruptedException {
            long end = System.nanoTime() + bound.toNanos();
            while (true) {
                long unsettled = clusters().values().stream().filter(c -> !settled(c)).count();
                if (unsettled == 0) {
                    return;
                }
                if (System.nanoTime() > end) {
                    throw new IllegalStateException(unsettled + " of " + clusters().size() + " clusters not settled after " + bound);
                }
                Thread.sleep(200);
            }
        }

        private Map<Integer, List<SimMember>> clusters() {
            Map<Integer, List<SimMember>> out = new HashMap<>();
            synchronized (members) {
                members.forEach(s -> out.computeIfAbsent(s.cluster, k -> new ArrayList<>()).add(s));
            }
            return out;
        }

        private static boolean settled(List<SimMember> cluster) {
            long leading = cluster.stream().filter(s -> s.loop.lastOutcome() instanceof Outcome.Leading).count();
            long following = cluster.stream().filter(s -> s.loop.lastOutcome() instanceof Outcome.Following).count();
            return leading == 1 && leading + following == cluster.size();
        }

        private void steadyState(EtcdCluster etcd) throws Exception {
            unsteady.clear();
            Map<String, Double> before = EtcdMetrics.scrape(etcd);
            long cpuBefore = EtcdMetrics.cpuTicks(etcd);
            long jvmCpuBefore = jvmCpuNanos();
            long t0 = System.nanoTime();
            List<Long> watch = watchLatencies(etcd, window);
            int probes = probePuts;
            long elapsed = System.nanoTime() - t0;
            long cpuAfter = EtcdMetrics.cpuTicks(etcd);
            long jvmCpuAfter = jvmCpuNanos();
            Map<String, Double> after = EtcdMetrics.scrape(etcd);
            double seconds = elapsed / 1e9;
            Map<String, Double> rate = new TreeMap<>();
            after.forEach((k, v) -> rate.put(k, (v - before.getOrDefault(k, 0.0)) / seconds / m));
            rate.merge("Put", -probes / seconds / m, Double::sum); // the probe's own puts are not the members' cost
            double reads = rate.getOrDefault("Range", 0.0);
            double kvWrites = rate.getOrDefault("Put", 0.0) + rate.getOrDefault("Txn", 0.0) + rate.getOrDefault("DeleteRange", 0.0);
            double leaseCalls = rate.getOrDefault("LeaseKeepAlive", 0.0) + rate.getOrDefault("LeaseGrant", 0.0)
                    + rate.getOrDefault("LeaseRevoke", 0.0);
            System.out.printf("BENCH M=%d per member/s: reads %.2f (Range), kv writes %.2f (Put %.2f, Txn %.2f, DeleteRange %.2f), "
                            + "lease calls %.2f (KeepAlive %.2f, Grant %.2f, Revoke %.2f); all methods %s%n",
                    m, reads, kvWrites, rate.getOrDefault("Put", 0.0), rate.getOrDefault("Txn", 0.0), rate.getOrDefault("DeleteRange", 0.0),
                    leaseCalls, rate.getOrDefault("LeaseKeepAlive", 0.0), rate.getOrDefault("LeaseGrant", 0.0),
                    rate.getOrDefault("LeaseRevoke", 0.0), format(rate));
            System.out.printf("BENCH M=%d etcd: CPU %.2f cores (3 members together), mvcc puts %.0f/s (applied on every member), "
                            + "db size %.1f MB (in use %.1f MB), keys %.0f, watchers %.0f, raft proposals %.0f/s; bench JVM CPU %.2f cores, "
                            + "threads %d (%.1f per member)%n",
                    m, (cpuAfter - cpuBefore) / 100.0 / seconds, (after.get("mvcc_put") - before.get("mvcc_put")) / seconds,
                    after.get("db_size") / 1e6, after.get("db_size_in_use") / 1e6, after.get("keys"), after.get("watchers"),
                    (after.get("proposals") - before.get("proposals")) / seconds,
                    (jvmCpuAfter - jvmCpuBefore) / 1e9 / seconds, threadCount(), threadCount() / (double) m);
            System.out.printf("BENCH M=%d cycles other than leading/following during the window: %s%n", m,
                    unsteady.isEmpty() ? "none" : new TreeMap<>(unsteady));
            report("M=" + m + " watch notification (put -> a member's listener)", watch);
        }

        /** Puts a timestamp every 50 ms to a probe key that one member per sample cluster watches on its own client. */
        private List<Long> watchLatencies(EtcdCluster etcd, Duration during) throws Exception {
            LinkedBlockingQueue<Long> latencies = new LinkedBlockingQueue<>();
            List<SimMember> watchers = clusters().values().stream().limit(10).map(c -> c.get(1)).toList();
            List<Watch> watches = new ArrayList<>();
            for (SimMember w : watchers) {
                watches.add(w.store.watchPrefix("bench/probe", e -> latencies.add(System.nanoTime() - Long.parseLong(e.text()))));
            }
            try {
                long end = System.nanoTime() + during.toNanos();
                int i = 0;
                while (System.nanoTime() < end) {
                    SimMember target = watchers.get(i++ % watchers.size());
                    writer(etcd, target.cluster).put("bench/probe", Long.toString(System.nanoTime()).getBytes(StandardCharsets.UTF_8));
                    probePuts++;
                    Thread.sleep(50);
                }
                Thread.sleep(2_000);
            } finally {
                watches.forEach(Watch::close);
            }
            return new ArrayList<>(latencies);
        }

        private final Map<Integer, Coordinator> probeWriters = new ConcurrentHashMap<>();
        private int probePuts;

        /** A writer client in a sample cluster's scope, opened on first use. */
        private Coordinator writer(EtcdCluster etcd, int cluster) {
            return probeWriters.computeIfAbsent(cluster, c -> Coordinators.open(CoordinatorSettings.etcd(SimMember.clusterName(c), etcd.endpoints())));
        }

        private void handOvers(EtcdCluster etcd) throws Exception {
            probeWriters.values().forEach(Coordinator::close);
            List<List<SimMember>> sample = clusters().values().stream().limit(handovers).toList();
            List<Long> nanos = new ArrayList<>();
            int failed = 0;
            for (List<SimMember> cluster : sample) {
                SimMember primary = cluster.stream().filter(s -> s.loop.lastOutcome() instanceof Outcome.Leading).findFirst().orElse(null);
                if (primary == null) {
                    failed++;
                    continue;
                }
                List<SimMember> others = cluster.stream().filter(s -> s != primary).toList();
                long crashed = System.nanoTime();
                primary.crash();
                long deadline = crashed + TimeUnit.SECONDS.toNanos(20);
                Long took = null;
                while (System.nanoTime() < deadline) {
                    if (others.stream().anyMatch(s -> s.lock.isHeld())) {
                        took = System.nanoTime() - crashed;
                        break;
                    }
                    Thread.sleep(1);
                }
                if (took == null) {
                    failed++;
                } else {
                    nanos.add(took);
                }
                Thread.ofVirtual().start(primary::close);
                Thread.sleep(300); // hand-overs one at a time, as independent failures would come
            }
            report("M=" + m + " lock hand-over after a primary's node crash (" + failed + " failed)", nanos);
        }

        private void stopMembers() {
            try (ExecutorService stopper = Executors.newVirtualThreadPerTaskExecutor()) {
                List<SimMember> all;
                synchronized (members) {
                    all = List.copyOf(members);
                }
                all.forEach(s -> stopper.submit(s::close));
            }
            probeWriters.values().forEach(Coordinator::close);
        }
    }

    /** One simulated member: the agent's coordination code with a {@link SimulatedDatabase}. */
    private static final class SimMember {
        final int cluster;
        final String name;
        final Coordinator store;
        final LeaderLock lock;
        final SimulatedDatabase db;
        final HaLoop loop;
        volatile boolean closed;

        private SimMember(int cluster, String name, Coordinator store, LeaderLock lock, SimulatedDatabase db, HaLoop loop) {
            this.cluster = cluster;
            this.name = name;
            this.store = store;
            this.lock = lock;
            this.db = db;
            this.loop = loop;
        }

        static String clusterName(int cluster) {
            return "c" + cluster;
        }

        /** Member {@code index}: cluster index/3, address 127.0.9{1..4}.x (nothing listens there), as Agent.start wires it. */
        static SimMember start(int index, List<URI> endpoints, Path dir, Map<String, SimulatedDatabase> databases,
                              Consumer<Outcome> observer) throws Exception {
            int cluster = index / CLUSTER_SIZE;
            String name = "db" + (index % CLUSTER_SIZE + 1);
            String address = "127.0.9" + (1 + index / 250 % 4) + "." + (1 + index % 250);
            int mysqlPort = 3306 + index / 1000;
            Path file = dir.resolve("agent-" + index + ".yaml");
            Files.writeString(file, "cluster: " + clusterName(cluster) + "\nmember: {name: " + name + ", address: " + address
                    + ", dataDir: " + dir.resolve("data-" + index) + "}\nmysql: {port: " + mysqlPort + "}\n");
            AgentConfig config = new AgentConfigLoader(Map.of()).load(Optional.of(file));
            SimulatedDatabase db = new SimulatedDatabase(1000 + index, databases);
            databases.put(address + ":" + mysqlPort, db);
            Coordinator store = Coordinators.open(CoordinatorSettings.etcd(clusterName(cluster), endpoints));
            ClusterStore clusterStore = new ClusterStore(store);
            HaCycle[] cycle = new HaCycle[1];
            HaLoop[] loop = new HaLoop[1];
            Duration confirmWithin = config.lock().ttl().minus(config.lock().safetyMargin());
            confirmWithin = confirmWithin.compareTo(Duration.ofSeconds(10)) < 0 ? Duration.ofSeconds(10) : confirmWithin;
            LeaderLock lock = store.leaderLock(ClusterStore.LEADER_LOCK, name, config.lock().ttl(), config.lock().safetyMargin(),
                    confirmWithin, new LeaseLossFence(name, why -> {
                        if (cycle[0] != null) {
                            cycle[0].onLeaseLost(why);
                            loop[0].wake();
                        }
                    }));
            if (index % CLUSTER_SIZE == 0 && clusterStore.claimInitialize(name) && !lock.tryAcquire()) {
                throw new IllegalStateException(name + " of " + clusterName(cluster) + " bootstrapped but could not take the lock");
            }
            clusterStore.joinRoster(name);
            cycle[0] = new HaCycle(config, REPLICATION, db, lock, clusterStore, HaClock.system(), (primary, reason) -> { },
                    (primary, peers, window, timeout) -> Set.of(), DeadlineAlarm.ownThread("failsafe-deadline-" + name, HaClock.system()));
            loop[0] = new HaLoop(name, cycle[0], db::read, clusterStore, lock, config.lock().ttl(), config.failover().loopInterval(),
                    observer);
            store.watchPrefix("locks/", event -> loop[0].wake());
            store.watchPrefix(ClusterStore.SWITCHOVER, event -> loop[0].wake());
            store.watchPrefix(ClusterStore.PAUSE, event -> loop[0].wake());
            loop[0].start();
            return new SimMember(cluster, name, store, lock, db, loop[0]);
        }

        /** The node dies: its database with it, and its agent's connection (the lock is freed at once, the rest expires). */
        void crash() {
            db.crash();
            closed = true;
            store.close();
        }

        void close() {
            try {
                loop.close();
            } catch (RuntimeException e) {
                // a crashed member's connection is closed: its registrations expire with their TTL
            }
            if (!closed) {
                closed = true;
                store.close();
            }
        }
    }

    /** etcd's own counters, summed over its members, and the CPU its processes used. */
    private static final class EtcdMetrics {
        private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        private static final Set<String> METHODS = Set.of("Range", "Put", "Txn", "DeleteRange", "LeaseGrant", "LeaseRevoke",
                "LeaseKeepAlive", "Watch");

        /** gRPC requests received by method (summed), and mvcc/db figures (the largest member's). */
        static Map<String, Double> scrape(EtcdCluster etcd) throws IOException, InterruptedException {
            Map<String, Double> out = new HashMap<>();
            for (EtcdMember member : etcd.members()) {
                String body = HTTP.send(HttpRequest.newBuilder(member.clientUri().resolve("/metrics")).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                for (String line : body.split("\n")) {
                    if (line.startsWith("#") || line.isBlank()) {
                        continue;
                    }
                    int space = line.lastIndexOf(' ');
                    String series = line.substring(0, space);
                    double value = Double.parseDouble(line.substring(space + 1));
                    if (series.startsWith("grpc_server_msg_received_total{")) {
                        String method = label(series, "grpc_method");
                        if (METHODS.contains(method)) {
                            out.merge(method, value, Double::sum);
                        }
                    } else if (series.equals("etcd_mvcc_put_total")) {
                        out.merge("mvcc_put", value, Math::max);
                    } else if (series.equals("etcd_mvcc_db_total_size_in_bytes")) {
                        out.merge("db_size", value, Math::max);
                    } else if (series.equals("etcd_mvcc_db_total_size_in_use_in_bytes")) {
                        out.merge("db_size_in_use", value, Math::max);
                    } else if (series.equals("etcd_debugging_mvcc_keys_total")) {
                        out.merge("keys", value, Math::max);
                    } else if (series.equals("etcd_debugging_mvcc_watcher_total")) {
                        out.merge("watchers", value, Double::sum);
                    } else if (series.equals("etcd_server_proposals_committed_total")) {
                        out.merge("proposals", value, Math::max);
                    }
                }
            }
            return out;
        }

        private static String label(String series, String name) {
            int at = series.indexOf(name + "=\"");
            if (at < 0) {
                return "";
            }
            int from = at + name.length() + 2;
            return series.substring(from, series.indexOf('"', from));
        }

        /** utime + stime of every etcd process, in clock ticks (100 per second). */
        static long cpuTicks(EtcdCluster etcd) throws IOException {
            long ticks = 0;
            for (EtcdMember member : etcd.members()) {
                String stat = Files.readString(Path.of("/proc/" + member.pid() + "/stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15 of proc(5)
            }
            return ticks;
        }
    }

    private static String format(Map<String, Double> rate) {
        StringBuilder b = new StringBuilder();
        rate.forEach((k, v) -> {
            if (Character.isUpperCase(k.charAt(0))) {
                b.append(b.isEmpty() ? "" : ", ").append(k).append(' ').append(String.format("%.2f", v));
            }
        });
        return b.toString();
    }

    private static long jvmCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static int threadCount() {
        return ManagementFactory.getThreadMXBean().getThreadCount();
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    private static void report(String what, List<Long> nanos) {
        if (nanos.isEmpty()) {
            System.out.printf("BENCH %s: no samples%n", what);
            return;
        }
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        double median = sorted.get(sorted.size() / 2) / 1e6;
        double p99 = sorted.get((int) Math.ceil(sorted.size() * 0.99) - 1) / 1e6;
        System.out.printf("BENCH %s n=%d p50=%.1f ms p99=%.1f ms max=%.1f ms%n", what, sorted.size(), median, p99, sorted.getLast() / 1e6);
    }
}
