package dev.autopilot.agent.it;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Application clients connected directly to every member (never through a proxy, which would hide a second
 * writable member): one writer per member inserting rows with unique ids, each recorded as acknowledged, failed
 * (the server refused it, or no connection) or unknown (the connection broke while the statement ran: it may have
 * committed); and one reader that checks what every member claiming to be primary ({@code read_only = 0}) returns
 * never goes backwards. Ids are {@code writer << 32 | sequence}, so each writer's newest row is one primary-key
 * lookup.
 */
final class DirectClients implements AutoCloseable {
    /** The outcome of one insert. */
    enum Result { ACK, FAILED, UNKNOWN }

    /** One insert: monotonic start and end, the member it went to, its id, its outcome (and the error, if any). */
    record Op(long startNanos, long endNanos, String member, long id, Result result, String error) {}

    /** A read on a member claiming to be primary that returned less than an earlier such read. */
    record Backwards(long nanos, String member, int writer, long sawId, long earlierId, String earlierMember) {}

    private static final String READ_ONLY = "1290";

    private final FaultCluster cluster;
    private final List<AgentNode> nodes;
    private final ConcurrentLinkedQueue<Op> ops = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Backwards> backwards = new ConcurrentLinkedQueue<>();
    private final AtomicLong reads = new AtomicLong();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running = true;

    DirectClients(FaultCluster cluster) {
        this.cluster = cluster;
        this.nodes = cluster.nodes();
    }

    static void createTables(Connection c) throws SQLException {
        try (var s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS app.w (id BIGINT PRIMARY KEY, at BIGINT)");
            s.execute("CREATE TABLE IF NOT EXISTS app.probe (member VARCHAR(16) PRIMARY KEY, tick BIGINT)");
        }
    }

    DirectClients start() {
        for (int i = 0; i < nodes.size(); i++) {
            int writer = i + 1;
            AgentNode node = nodes.get(i);
            threads.add(Thread.ofPlatform().name("writer-" + node.name).daemon().start(() -> write(writer, node)));
        }
        threads.add(Thread.ofPlatform().name("reader").daemon().start(this::read));
        return this;
    }

    private void write(int writer, AgentNode node) {
        long sequence = 0;
        Connection c = null;
        while (running) {
            long id = ((long) writer << 32) | sequence++;
            long start = System.nanoTime();
            boolean connected = c != null;
            try {
                if (c == null) {
                    c = cluster.client(node, 15_000);
                    connected = true;
                }
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO w VALUES (?, ?)")) {
                    ps.setLong(1, id);
                    ps.setLong(2, System.currentTimeMillis());
                    ps.executeUpdate();
                }
                ops.add(new Op(start, System.nanoTime(), node.name, id, Result.ACK, ""));
                pause(10);
            } catch (SQLException e) {
                // Refused by the server, or never sent: not committed. Anything else broke mid-statement: maybe committed.
                boolean refused = READ_ONLY.equals(String.valueOf(e.getErrorCode())) || !connected;
                ops.add(new Op(start, System.nanoTime(), node.name, id, refused ? Result.FAILED : Result.UNKNOWN,
                        e.getErrorCode() + " " + firstLine(e.getMessage())));
                if (!READ_ONLY.equals(String.valueOf(e.getErrorCode()))) {
                    close(c);
                    c = null;
                }
                pause(refused ? 200 : 50); // a read-only member refuses at once: do not spin on it
            }
        }
        close(c);
    }

    private void read() {
        long[] newest = new long[nodes.size() + 1];
        String[] newestFrom = new String[nodes.size() + 1];
        java.util.Arrays.fill(newest, -1); // what an empty range reads
        java.util.Arrays.fill(newestFrom, "-");
        Connection[] connections = new Connection[nodes.size()];
        StringBuilder sql = new StringBuilder("SELECT @@read_only");
        for (int w = 1; w <= nodes.size(); w++) {
            sql.append(", (SELECT COALESCE(MAX(id), -1) FROM w WHERE id BETWEEN ").append((long) w << 32).append(" AND ")
                    .append(((long) w << 32) | 0xFFFFFFFFL).append(")");
        }
        while (running) {
            for (int i = 0; i < nodes.size() && running; i++) {
                AgentNode node = nodes.get(i);
                try {
                    if (connections[i] == null) {
                        connections[i] = cluster.client(node, 3000);
                    }
                    try (var s = connections[i].createStatement(); ResultSet rs = s.executeQuery(sql.toString())) {
                        rs.next();
                        if (rs.getInt(1) != 0) {
                            continue; // not claiming to be primary: replicas may lag
                        }
                        reads.incrementAndGet();
                        long now = System.nanoTime();
                        for (int w = 1; w <= nodes.size(); w++) {
                            long id = rs.getLong(1 + w);
                            if (id < newest[w]) {
                                backwards.add(new Backwards(now, node.name, w, id, newest[w], newestFrom[w]));
                            } else {
                                newest[w] = id;
                                newestFrom[w] = node.name;
                            }
                        }
                    }
                } catch (SQLException e) {
                    close(connections[i]);
                    connections[i] = null;
                }
            }
            pause(100);
        }
        for (Connection c : connections) {
            close(c);
        }
    }

    List<Op> ops() {
        return List.copyOf(ops);
    }

    List<Backwards> backwards() {
        return List.copyOf(backwards);
    }

    long primaryReads() {
        return reads.get();
    }

    long count(Result result) {
        return ops.stream().filter(o -> o.result() == result).count();
    }

    /** Acknowledged ids absent from {@code present}. */
    List<Op> lost(Set<Long> present) {
        return ops.stream().filter(o -> o.result() == Result.ACK && !present.contains(o.id())).toList();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        for (Thread t : threads) {
            t.join(20_000);
        }
    }

    private static void close(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // already broken
            }
        }
    }

    static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis); // pacing of a client loop, not a wait for a condition
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
