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
 * partition hides the answer. A member counts as accepting writes in a tick when it read {@code read_only = 0}, or its
 * probe or a client's insert sent in that tick was acknowledged within {@value #QUICK_MILLIS} ms; a tick with two
 * such members is a two-writable sample.
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
            threads.add(Thread.ofPlatform().name("read-only-" + node.name).daemon().start(() -> sample(node, false)));
            threads.add(Thread.ofPlatform().name("write-probe-" + node.name).daemon().start(() -> sample(node, true)));
        }
        return this;
    }

    /**
     * One member, one kind of sample, every tick. Reading {@code read_only} and committing run on separate threads: a
     * commit parked in the semi-sync wait must not stop the readings (that is exactly when they matter).
     */
    private void sample(AgentNode node, boolean write) {
        Connection c = null;
        long tick = 0;
        while (running) {
            long due = t0 + tick * TICK_MILLIS * 1_000_000;
            long wait = (due - System.nanoTime()) / 1_000_000;
            if (wait > 0) {
                pause(wait); // the sampling clock itself
            }
            long start = System.nanoTime();
            boolean writable = false;
            try {
                if (c == null) {
                    c = write ? connect(node, AgentNode.APP_USER, AgentNode.APP_PASSWORD, "app")
                            : connect(node, "root", TestCluster.ROOT_PASSWORD, "");
                }
                if (write) {
                    try (PreparedStatement ps = c.prepareStatement("INSERT INTO probe VALUES (?, ?) ON DUPLICATE KEY UPDATE tick = VALUES(tick)")) {
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
                } else {
                    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT @@read_only")) {
                        writable = rs.next() && rs.getInt(1) == 0;
                    }
                    samples.incrementAndGet();
                }
            } catch (SQLException e) {
                if (e.getErrorCode() != 1290) { // refused as read-only: the connection is fine
                    c = close(c);
                }
            }
            if (writable) {
                markWritable(node.name, start);
            }
            tick = Math.max(tick + 1, (System.nanoTime() - t0) / (TICK_MILLIS * 1_000_000) + 1);
        }
        close(c);
    }

    /** Records that {@code member} accepted a write (or read {@code read_only = 0}) at monotonic {@code nanos}. */
    void markWritable(String member, long nanos) {
        if (nanos >= t0) {
            writableAt.computeIfAbsent((nanos - t0) / (TICK_MILLIS * 1_000_000), t -> ConcurrentHashMap.newKeySet()).add(member);
        }
    }

    /** A client's insert acknowledged within {@value #QUICK_MILLIS} ms counts for the tick it was sent in. */
    void acknowledged(DirectClients.Op op) {
        if (op.result() == DirectClients.Result.ACK && (op.endNanos() - op.startNanos()) / 1_000_000 <= QUICK_MILLIS) {
            markWritable(op.member(), op.startNanos());
        }
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
