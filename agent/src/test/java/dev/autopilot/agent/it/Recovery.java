package dev.autopilot.agent.it;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * After each heal: how long until the cluster is whole again — one writable primary holding the lock, every other
 * member a healthy replica (recovery), and every replica having applied the primary's position read at that moment
 * (convergence). A member not back within the bound is stuck: diagnosed (PROVISIONING, replication stopped, agent
 * gone or no longer publishing), recorded as a violation, then forced back (all its processes killed, agent started)
 * so the campaign goes on.
 */
final class Recovery {
    /** A member that did not come back within the bound, and why. */
    record Stuck(String after, String member, String why) {}

    private final FaultCluster cluster;
    private final FaultHistory history;
    private final Duration bound;
    private final RestartPolicy restarts;
    private final java.util.Map<String, Integer> exitsBefore = new java.util.HashMap<>();
    private final List<Long> convergenceMillis = new ArrayList<>();
    private final List<Stuck> stuck = new ArrayList<>();
    private int slow;
    // Wall-clock time of the last heal: every member's record must be newer (its agent has decided since).
    private volatile long since;

    Recovery(FaultCluster cluster, FaultHistory history, Duration bound, RestartPolicy restarts) {
        this.cluster = cluster;
        this.restarts = restarts;
        this.history = history;
        this.bound = bound;
    }

    /** Waits for recovery and convergence after {@code fault}'s heal; false when even forcing members back failed. */
    boolean afterHeal(String fault) throws InterruptedException {
        long healed = System.nanoTime();
        since = System.currentTimeMillis();
        exitsBefore.clear();
        cluster.nodes().forEach(n -> exitsBefore.put(n.name, restarts.exits(n)));
        if (awaitHealthy(fault, bound) && awaitConverged(healed + bound.toNanos())) {
            long millis = (System.nanoTime() - healed) / 1_000_000;
            convergenceMillis.add(millis);
            history.event("RECOVERED after %s: one writable primary (%s), every replica caught up, in %d ms", fault,
                    cluster.primary().map(p -> p.name).orElse("?"), millis);
            return true;
        }
        List<AgentNode> unwell = unwell();
        if (unwell.isEmpty() && awaitConverged(System.nanoTime() + 30_000_000_000L)) {
            long millis = (System.nanoTime() - healed) / 1_000_000;
            convergenceMillis.add(millis);
            slow++;
            history.event("RECOVERED after %s only after the %d s bound, in %d ms (slow, not stuck)", fault, bound.toSeconds(), millis);
            return true;
        }
        for (AgentNode n : unwell) {
            String why = diagnose(n);
            stuck.add(new Stuck(fault, n.name, why));
            history.event("STUCK after %s: %s not back within %d s: %s; forcing it back (kill -9 of its processes, agent started)",
                    fault, n.name, bound.toSeconds(), why);
            restarts.holdDown(n);
            cluster.killAll(n);
            restarts.start(n);
        }
        if (awaitHealthy(fault + " (forced)", bound) && awaitConverged(System.nanoTime() + bound.toNanos())) {
            history.event("RECOVERED after %s once stuck members were forced back", fault);
            return true;
        }
        history.event("NOT RECOVERED after %s: %s", fault, diagnosis());
        return false;
    }

    /** Waits up to {@code within} for one writable primary and every other member a healthy replica. */
    boolean awaitHealthy(String after, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            if (unwell().isEmpty()) {
                return true;
            }
            Thread.sleep(200); // polling the cluster's state
        }
        return false;
    }

    /**
     * Members not in their place: agent not running, not the writable primary nor a healthy replica, or no record
     * published since the last heal.
     */
    List<AgentNode> unwell() {
        Optional<AgentNode> primary = cluster.primary().filter(p -> cluster.readOnly(p).equals(Optional.of(false)));
        List<String> replicas = cluster.healthy("replica");
        Map<String, JsonNode> records = cluster.records();
        List<AgentNode> out = new ArrayList<>();
        for (AgentNode n : cluster.nodes()) {
            boolean placed = primary.map(p -> p == n).orElse(false) || replicas.contains(n.name);
            // A lock and registrations outlive a killed agent by their TTL: only a record published since the heal
            // shows the member's agent is back and deciding.
            boolean deciding = records.containsKey(n.name) && records.get(n.name).path("updatedAtMillis").asLong() >= since;
            if (!n.isRunning() || !placed || !deciding) {
                out.add(n);
            }
        }
        return primary.isEmpty() && out.isEmpty() ? cluster.nodes() : out;
    }

    /** Waits until {@link #converged()} holds, re-checking (a member may still be on its way down when a wait starts). */
    private boolean awaitConverged(long deadline) throws InterruptedException {
        while (System.nanoTime() < deadline) {
            if (converged()) {
                return true;
            }
            Thread.sleep(200); // polling the cluster's state
        }
        return false;
    }

    /** Every member in its place, and every replica has applied the primary's current position (waits ≤ 5 s each). */
    private boolean converged() {
        if (!unwell().isEmpty()) {
            return false;
        }
        Optional<AgentNode> primary = cluster.primary();
        Optional<String> position = primary.flatMap(p -> FaultCampaign.query(cluster, p, "SELECT @@gtid_binlog_pos"));
        if (position.isEmpty()) {
            return false;
        }
        for (AgentNode n : cluster.nodes()) {
            if (n != primary.get()
                    && !FaultCampaign.query(cluster, n, "SELECT MASTER_GTID_WAIT('" + position.get() + "', 5)").equals(Optional.of("0"))) {
                return false;
            }
        }
        return true;
    }

    /** One line per unwell member saying why. */
    String diagnosis() {
        StringBuilder sb = new StringBuilder();
        for (AgentNode n : unwell()) {
            sb.append(n.name).append(": ").append(diagnose(n)).append('\n');
        }
        return sb.toString();
    }

    private String diagnose(AgentNode n) {
        int exits = restarts.exits(n) - exitsBefore.getOrDefault(n.name, 0);
        if (exits > 1) {
            return "agent keeps exiting (" + exits + " times since the heal); last log line: " + n.logTail(1).strip();
        }
        if (!n.isRunning()) {
            return "agent not running (last log line: " + n.logTail(1).strip() + ")";
        }
        Map<String, JsonNode> records = cluster.records();
        JsonNode r = records.get(n.name);
        if (r == null) {
            return "agent running but publishes no member record (no longer decides); last log line: " + n.logTail(1).strip();
        }
        long age = System.currentTimeMillis() - r.path("updatedAtMillis").asLong();
        String state = r.path("state").asText() + "/" + r.path("role").asText();
        if (age > 10_000) {
            return "member record " + age / 1000 + " s old (agent no longer decides), state " + state;
        }
        if ("PROVISIONING".equals(r.path("state").asText())) {
            return "PROVISIONING";
        }
        String replication = replication(n);
        return "state " + state + ", healthy " + r.path("healthy").asText() + ", last error '" + r.path("lastError").asText() + "'"
                + (replication.isEmpty() ? "" : ", replication " + replication);
    }

    private String replication(AgentNode n) {
        try (Connection c = cluster.root(n); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW SLAVE STATUS")) {
            if (!rs.next()) {
                return "not configured";
            }
            return "IO " + rs.getString("Slave_IO_Running") + " SQL " + rs.getString("Slave_SQL_Running") + " from "
                    + rs.getString("Master_Host") + " (" + rs.getString("Last_IO_Error") + rs.getString("Last_SQL_Error") + ")";
        } catch (SQLException e) {
            return "unreadable: " + DirectClients.firstLine(e.getMessage());
        }
    }

    List<Long> convergenceMillis() {
        return List.copyOf(convergenceMillis);
    }

    /** Heals after which the cluster came back whole, but only after the bound. */
    int slow() {
        return slow;
    }

    List<Stuck> stuck() {
        return List.copyOf(stuck);
    }
}
