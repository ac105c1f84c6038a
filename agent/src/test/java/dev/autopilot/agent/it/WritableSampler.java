package dev.autopilot.agent.it;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Reads {@code read_only} on every member every 50 ms and remembers each moment two or more members were
 * writable at once (split brain), which must never happen.
 */
final class WritableSampler implements AutoCloseable {
    private final List<AgentNode> nodes;
    private final Map<String, Connection> connections = new HashMap<>();
    private final List<String> splitBrains = new CopyOnWriteArrayList<>();
    private volatile boolean running = true;
    private final Thread thread;
    private volatile long samples;

    WritableSampler(List<AgentNode> nodes) {
        this.nodes = List.copyOf(nodes);
        this.thread = Thread.ofPlatform().name("writable-sampler").daemon().start(this::run);
    }

    private void run() {
        while (running) {
            long start = System.nanoTime();
            List<String> writable = new ArrayList<>();
            for (AgentNode n : nodes) {
                if (isWritable(n)) {
                    writable.add(n.name);
                }
            }
            samples++;
            if (writable.size() > 1) {
                splitBrains.add(System.currentTimeMillis() + ": " + writable);
            }
            long left = 50 - (System.nanoTime() - start) / 1_000_000;
            if (left > 0) {
                try {
                    Thread.sleep(left); // the sampling period itself
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private boolean isWritable(AgentNode n) {
        try {
            Connection c = connections.get(n.name);
            if (c == null || c.isClosed()) {
                c = n.rootConnection(TestCluster.ROOT_PASSWORD);
                connections.put(n.name, c);
            }
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT @@read_only")) {
                return rs.next() && rs.getInt(1) == 0;
            }
        } catch (SQLException e) {
            Connection c = connections.remove(n.name);
            if (c != null) {
                try {
                    c.close();
                } catch (SQLException ignored) {
                    // already broken
                }
            }
            return false;
        }
    }

    List<String> splitBrains() {
        return List.copyOf(splitBrains);
    }

    long samples() {
        return samples;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(5000);
        connections.values().forEach(c -> {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing anyway
            }
        });
    }
}
