package dev.autopilot.agent.it;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every 50 ms, on every member, on one shared clock: reads {@code @@read_only} as root and commits a real write as
 * the application user (who has no SUPER, so {@code read_only} binds it), both over the member's unix socket so no
 * partition hides the answer. A member counts as accepting writes in a tick when it read {@code read_only = 0} or its
 * probe committed within {@value #QUICK_MILLIS} ms of the tick; a tick with two such members is a two-writable sample.
 * A probe commit that took longer (e.g. parked in the semi-sync wait) is kept as a slow commit for the history.
 */
final class WritableProbe implements AutoCloseable {
    static final long TICK_MILLIS = 50;
    private static final long QUICK_MILLIS = 250;

    /** A probe commit that was acknowledged only after {@code millis}. */
    record SlowCommit(long startNanos, String member, long millis) {}

    private final FaultCluster cluster;
    private final long t0 = System.nanoTime();
    private final ConcurrentSkipListMap<Long, Set<String>> writableAt = new ConcurrentSkipListMap<>();
    private final List<SlowCommit> slow = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final AtomicLong samples = new AtomicLong();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running = true;

    WritableProbe(FaultCluster cluster) {
        this.cluster = cluster;
    }

    WritableProbe start() {
        for (AgentNode node : cluster.nodes()) {
            threads.add(Thread.ofPlatform().name("probe-" + node.name).daemon().start(() -> probe(node)));
        }
        return this;
    }

    private void probe(AgentNode node) {
        Connection root = null;
        Connection app = null;
        long tick = 0;
        while (running) {
            long due = t0 + tick * TICK_MILLIS * 1_000_000;
            long wait = (due - System.nanoTime()) / 1_000_000;
            if (wait > 0) {
                pause(wait); // the sampling clock itself
            }
            boolean writable = false;
            try {
                if (root == null) {
                    root = connect(node, "root", TestCluster.ROOT_PASSWORD, "");
                }
                try (Statement s = root.createStatement(); ResultSet rs = s.executeQuery("SELECT @@read_only")) {
                    writable = rs.next() && rs.getInt(1) == 0;
                }
            } catch (SQLException e) {
                root = close(root);
            }
            long start = System.nanoTime();
            try {
                if (app == null) {
                    app = connect(node, AgentNode.APP_USER, AgentNode.APP_PASSWORD, "app");
                }
                try (PreparedStatement ps = app.prepareStatement("INSERT INTO probe VALUES (?, ?) ON DUPLICATE KEY UPDATE tick = VALUES(tick)")) {
                    ps.setString(1, node.name);
                    ps.setLong(2, tick);
                    ps.executeUpdate();
                }
                long millis = (System.nanoTime() - start) / 1_000_000;
                if (millis <= QUICK_MILLIS) {
                    writable = true;
                } else {
                    slow.add(new SlowCommit(start, node.name, millis));
                }
            } catch (SQLException e) {
                if (e.getErrorCode() != 1290) { // refused as read-only: the connection is fine
                    app = close(app);
                }
            }
            samples.incrementAndGet();
            if (writable) {
                writableAt.computeIfAbsent(tick, t -> ConcurrentHashMap.newKeySet()).add(node.name);
            }
            tick = Math.max(tick + 1, (System.nanoTime() - t0) / (TICK_MILLIS * 1_000_000) + 1);
        }
        close(root);
        close(app);
    }

    private static Connection connect(AgentNode node, String user, String password, String database) throws SQLException {
        return DriverManager.getConnection("jdbc:mariadb://localhost/" + database + "?localSocket=" + node.home.resolve("data/run/mysqld.sock")
                + "&connectTimeout=1000&socketTimeout=3000", user, password);
    }

    /** Ticks (monotonic nanos of the tick → members) in which two or more members accepted writes. */
    Map<Long, Set<String>> twoWritable() {
        Map<Long, Set<String>> out = new TreeMap<>();
        writableAt.forEach((tick, members) -> {
            if (members.size() > 1) {
                out.put(t0 + tick * TICK_MILLIS * 1_000_000, Set.copyOf(members));
            }
        });
        return out;
    }

    /** Ticks in which nobody accepted writes, as a share of all ticks so far (write unavailability). */
    long ticksWithAWriter() {
        return writableAt.size();
    }

    long samples() {
        return samples.get();
    }

    List<SlowCommit> slowCommits() {
        return List.copyOf(slow);
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        for (Thread t : threads) {
            t.join(10_000);
        }
    }

    private static Connection close(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // already broken
            }
        }
        return null;
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
