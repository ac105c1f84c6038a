package dev.autopilot.agent.it;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Supplier;

/**
 * A client that inserts one row every few milliseconds into {@code app.w} on whichever member is primary
 * and records every acknowledged write with its monotonic time. After a fault, the first acknowledged
 * write tells the write unavailability; rows acknowledged but missing on the new primary are lost writes.
 */
final class AckedWriter implements AutoCloseable {
    /** Where the writer's next connection goes: the member it reached and the connection, or empty while there is none. */
    @FunctionalInterface
    interface Route {
        Optional<Session> open() throws SQLException;
    }

    record Session(String member, Connection connection) {}

    private final Route route;
    private record Ack(long nanos, String member) {}

    private final ConcurrentSkipListMap<Long, Ack> acked = new ConcurrentSkipListMap<>();
    private volatile boolean running = true;
    private final Thread thread;
    // Ids unique across writers of one cluster, also of two writers started in the same millisecond (bench/failover
    // --via-haproxy runs a direct and a proxied one side by side): one counter for the whole process.
    private static final java.util.concurrent.atomic.AtomicLong IDS = new java.util.concurrent.atomic.AtomicLong(System.currentTimeMillis() * 1000);

    /** Writes to whichever member {@code primary} names, connecting to it directly. */
    AckedWriter(Supplier<Optional<AgentNode>> primary) {
        this(() -> {
            Optional<AgentNode> p = primary.get();
            return p.isEmpty() ? Optional.empty() : Optional.of(new Session(p.get().name, p.get().appConnection()));
        });
    }

    /**
     * Writes through a proxy at {@code host:port}, as an application behind it does; {@code memberAt} names the member
     * a connection reached from the address its server is bound to.
     */
    static AckedWriter through(String host, int port, java.util.function.Function<String, String> memberAt) {
        return new AckedWriter(() -> {
            Connection c = DriverManager.getConnection("jdbc:mariadb://" + host + ":" + port + "/app?connectTimeout=1000&socketTimeout=3000",
                    AgentNode.APP_USER, AgentNode.APP_PASSWORD);
            try (var s = c.createStatement(); var rs = s.executeQuery("SELECT @@bind_address")) {
                rs.next();
                return Optional.of(new Session(memberAt.apply(rs.getString(1)), c));
            } catch (SQLException e) {
                c.close();
                throw e;
            }
        });
    }

    private AckedWriter(Route route) {
        this.route = route;
        this.thread = Thread.ofPlatform().name("acked-writer").daemon().start(this::run);
    }

    static void createTable(AgentNode primary) throws SQLException {
        try (Connection c = primary.appConnection(); var s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS w (id BIGINT PRIMARY KEY, at BIGINT)");
        }
    }

    private void run() {
        while (running) {
            Optional<Session> session;
            try {
                session = route.open();
            } catch (SQLException e) {
                session = Optional.empty();
            }
            if (session.isEmpty()) {
                pause(20);
                continue;
            }
            String member = session.get().member();
            try (Connection c = session.get().connection(); PreparedStatement ps = c.prepareStatement("INSERT INTO w VALUES (?, ?)")) {
                while (running) {
                    long id = IDS.getAndIncrement();
                    ps.setLong(1, id);
                    ps.setLong(2, System.currentTimeMillis());
                    ps.executeUpdate();
                    acked.put(id, new Ack(System.nanoTime(), member));
                    pause(10);
                }
            } catch (SQLException e) {
                pause(20); // the member is down, read-only or fenced: find the primary again
            }
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis); // pacing of a client loop, not a wait for a condition
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Monotonic time of the first write {@code member} acknowledged after {@code nanos}, if any. */
    Optional<Long> firstAckAfter(long nanos, String member) {
        return acked.values().stream().filter(a -> a.nanos() > nanos && a.member().equals(member)).map(Ack::nanos).min(Long::compare);
    }

    /** Monotonic time of the last write {@code member} acknowledged, if any. */
    Optional<Long> lastAckBy(String member) {
        return acked.values().stream().filter(a -> a.member().equals(member)).map(Ack::nanos).max(Long::compare);
    }

    /** The longest time between two consecutive acknowledgements. */
    long longestGapMillis() {
        long[] times = acked.values().stream().mapToLong(Ack::nanos).sorted().toArray();
        long gap = 0;
        for (int i = 1; i < times.length; i++) {
            gap = Math.max(gap, times[i] - times[i - 1]);
        }
        return gap / 1_000_000;
    }

    long count() {
        return acked.size();
    }

    /** Acknowledged ids that are not in {@code present}. */
    List<Long> missingFrom(java.util.Set<Long> present) {
        return acked.keySet().stream().filter(id -> !present.contains(id)).toList();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(5000);
    }
}
