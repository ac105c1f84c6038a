package dev.autopilot.agent.it;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The campaign's verdict once the last fault is healed: (1) acknowledged writes missing on the final primary (0 in
 * zero-loss mode; counted in async mode), (2) ticks with two members accepting writes (0), (3) every member converged
 * to the same GTID position and table checksums within the bound, (4) no member stuck, (5) errant transactions —
 * on the final members (transactions a member has that the primary lacks) and as detected by the agents (their logs) —
 * counted; plus reads on a primary that went backwards (0 in zero-loss mode).
 */
final class FaultChecker {
    /** The figures and the violations among them. */
    record Verdict(long acked, long failed, long unknown, long unknownPresent, long lost, Map<String, Long> lostBy, int twoWritable,
                   long probeSamples, long primaryReads, int backwards, List<Long> convergenceMillis, long finalConvergenceMillis,
                   boolean converged, int slowRecoveries, List<Recovery.Stuck> stuck, int agentRestarts, long errantOnMembers, long errantDetected, long rebuilds,
                   List<String> violations) {

        String summary(Map<String, Integer> injected) {
            List<Long> sorted = convergenceMillis.stream().sorted().toList();
            StringBuilder sb = new StringBuilder("== bench/faults summary ==\n");
            sb.append("faults injected: ").append(injected.values().stream().mapToInt(Integer::intValue).sum()).append('\n');
            injected.forEach((k, v) -> sb.append(String.format("  %-50s %d%n", k, v)));
            sb.append(String.format("client writes: %d acknowledged, %d failed, %d unknown (%d of them committed)%n", acked, failed, unknown,
                    unknownPresent));
            sb.append(String.format("lost acknowledged writes: %d%s%n", lost, lostBy.isEmpty() ? "" : " " + lostBy));
            sb.append(String.format("two-writable samples: %d (of %d probe samples, every %d ms on every member)%n", twoWritable, probeSamples,
                    WritableProbe.TICK_MILLIS));
            sb.append(String.format("reads on a primary gone backwards: %d (per writer, in %d reads of every writer's newest row)%n",
                    backwards, primaryReads));
            sb.append(String.format("recovery + convergence after heal: median %s, max %s (%d faults)%n",
                    sorted.isEmpty() ? "-" : sorted.get(sorted.size() / 2) + " ms", sorted.isEmpty() ? "-" : sorted.getLast() + " ms",
                    sorted.size()));
            sb.append(String.format("final convergence (same GTID position and checksums on every member): %s%n",
                    converged ? finalConvergenceMillis + " ms" : "NOT within the bound"));
            sb.append(String.format("recoveries slower than the bound (whole again within 30 s more): %d%n", slowRecoveries));
            sb.append(String.format("stuck members: %d%s%n", stuck.size(), stuck.isEmpty() ? "" : " " + stuck));
            sb.append(String.format("agents that exited on their own and were restarted (restart policy): %d%n", agentRestarts));
            sb.append(String.format("errant transactions: %d on the final members; agents detected %d diverged member(s), %d rebuilt%n",
                    errantOnMembers, errantDetected, rebuilds));
            return sb.toString();
        }

        /** Machine-readable figures for {@link FaultSuiteTest}. */
        String checkLine() {
            return String.format("CHECK acked=%d lost=%d twoWritable=%d backwards=%d converged=%b stuck=%d errant=%d", acked, lost,
                    twoWritable, backwards, converged, stuck.size(), errantOnMembers);
        }
    }

    private final FaultCluster cluster;
    private final FaultHistory history;
    private final boolean zeroLoss;

    FaultChecker(FaultCluster cluster, FaultHistory history, boolean zeroLoss) {
        this.cluster = cluster;
        this.history = history;
        this.zeroLoss = zeroLoss;
    }

    /** Stops the clients and the probe, waits for final convergence and judges. */
    Verdict check(DirectClients clients, WritableProbe probe, Recovery recovery, RestartPolicy restarts) throws InterruptedException {
        clients.close();
        probe.close();
        long stopped = System.nanoTime();
        history.event("clients and probe stopped; waiting for every member to converge");
        long deadline = stopped + 180_000_000_000L;
        boolean converged = false;
        while (!converged && System.nanoTime() < deadline) {
            converged = recovery.unwell().isEmpty() && sameEverywhere("SELECT @@gtid_current_pos")
                    && sameEverywhere("CHECKSUM TABLE app.w") && sameEverywhere("CHECKSUM TABLE app.probe");
            if (!converged) {
                Thread.sleep(500); // polling for convergence
            }
        }
        long convergence = (System.nanoTime() - stopped) / 1_000_000;
        history.event(converged ? "CONVERGED in %d ms" : "NOT CONVERGED after %d ms: " + recovery.diagnosis() + divergence(), convergence);

        Optional<AgentNode> primary = cluster.primary();
        Set<Long> present = primary.map(this::ids).orElse(Set.of());
        List<DirectClients.Op> lost = primary.isPresent() ? clients.lost(present) : List.of();
        Map<String, Long> lostBy = lost.stream().collect(Collectors.groupingBy(DirectClients.Op::member, LinkedHashMap::new, Collectors.counting()));
        lost.forEach(op -> history.probe(history.at(op.startNanos()), "LOST acknowledged write id=" + op.id() + " acknowledged by " + op.member()));
        long unknownPresent = clients.ops().stream().filter(o -> o.result() == DirectClients.Result.UNKNOWN && present.contains(o.id())).count();
        clients.ops().forEach(probe::acknowledged);
        var two = probe.twoWritable();
        two.forEach((nanos, members) -> history.probe(history.at(nanos), "TWO WRITABLE " + members));
        probe.slowCommits().forEach(s -> history.probe(history.at(s.startNanos()), "slow probe commit on " + s.member() + ": " + s.millis() + " ms"));
        clients.backwards().forEach(b -> history.probe(history.at(b.nanos()), String.format("READ WENT BACKWARDS on %s: writer %d newest id %d, "
                + "earlier %d on %s", b.member(), b.writer(), b.sawId(), b.earlierId(), b.earlierMember())));
        long errant = primary.map(this::errantOnMembers).orElse(0L);
        long detected = cluster.nodes().stream().mapToLong(n -> countInLog(n, "errant transaction(s)")).sum();
        long rebuilds = cluster.nodes().stream().mapToLong(n -> countInLog(n, "moved diverged data directory")).sum();
        history.clientOps(clients.ops());

        List<String> violations = new ArrayList<>();
        if (primary.isEmpty()) {
            violations.add("no primary at the end");
        }
        if (zeroLoss && !lost.isEmpty()) {
            violations.add(lost.size() + " acknowledged writes lost in zero-loss mode " + lostBy);
        }
        if (!two.isEmpty()) {
            violations.add(two.size() + " two-writable samples, first " + history.at(two.keySet().iterator().next()) + " "
                    + two.values().iterator().next());
        }
        if (zeroLoss && !clients.backwards().isEmpty()) {
            violations.add(clients.backwards().size() + " reads on a primary went backwards in zero-loss mode");
        }
        if (!converged) {
            violations.add("members did not converge within 180 s");
        }
        if (!recovery.stuck().isEmpty()) {
            violations.add(recovery.stuck().size() + " stuck member(s): " + recovery.stuck());
        }
        return new Verdict(clients.count(DirectClients.Result.ACK), clients.count(DirectClients.Result.FAILED),
                clients.count(DirectClients.Result.UNKNOWN), unknownPresent, lost.size(), lostBy, two.size(), probe.samples(),
                clients.primaryReads(), clients.backwards().size(), recovery.convergenceMillis(), convergence, converged, recovery.slow(),
                recovery.stuck(),
                restarts.restarts(), errant, detected, rebuilds, violations);
    }

    private boolean sameEverywhere(String sql) {
        Set<String> values = new HashSet<>();
        for (AgentNode n : cluster.nodes()) {
            Optional<String> v = sql.startsWith("CHECKSUM") ? checksum(n, sql) : FaultCampaign.query(cluster, n, sql);
            if (v.isEmpty()) {
                return false;
            }
            values.add(v.get());
        }
        return values.size() == 1;
    }

    /**
     * What differs between the members when they do not converge: each one's GTID positions and checksums, and the rows
     * of {@code app.w} that some members have and others lack.
     */
    private String divergence() {
        StringBuilder sb = new StringBuilder();
        Map<String, Set<Long>> rows = new LinkedHashMap<>();
        for (AgentNode n : cluster.nodes()) {
            sb.append(String.format("%n  %s: gtid_current_pos %s, gtid_binlog_state %s, checksum app.w %s, app.probe %s", n.name,
                    FaultCampaign.query(cluster, n, "SELECT @@gtid_current_pos").orElse("?"),
                    FaultCampaign.query(cluster, n, "SELECT @@gtid_binlog_state").orElse("?"),
                    checksum(n, "CHECKSUM TABLE app.w").orElse("?"), checksum(n, "CHECKSUM TABLE app.probe").orElse("?")));
            try {
                rows.put(n.name, ids(n));
            } catch (IllegalStateException e) {
                sb.append(" (app.w unreadable)");
            }
        }
        Set<Long> everywhere = rows.values().stream().reduce((a, b) -> {
            Set<Long> both = new HashSet<>(a);
            both.retainAll(b);
            return both;
        }).orElse(Set.of());
        rows.forEach((name, ids) -> {
            List<Long> only = ids.stream().filter(id -> !everywhere.contains(id)).sorted().toList();
            if (!only.isEmpty()) {
                sb.append(String.format("%n  %s has %d row(s) of app.w not on every member: %s", name, only.size(),
                        only.subList(0, Math.min(20, only.size()))));
            }
        });
        return sb.toString();
    }

    private Optional<String> checksum(AgentNode n, String sql) {
        try (Connection c = cluster.root(n); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? Optional.ofNullable(rs.getString(2)) : Optional.empty();
        } catch (SQLException e) {
            return Optional.empty();
        }
    }

    private Set<Long> ids(AgentNode node) {
        Set<Long> ids = new HashSet<>();
        try (Connection c = cluster.root(node); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT id FROM app.w")) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not read app.w on the final primary " + node.name, e);
        }
        return ids;
    }

    /**
     * Transactions on the members that the primary never had: per (domain, server id), how far a member's binlog
     * state goes beyond the primary's.
     */
    private long errantOnMembers(AgentNode primary) {
        Map<String, Long> reference = state(FaultCampaign.query(cluster, primary, "SELECT @@gtid_binlog_state").orElse(""));
        long errant = 0;
        for (AgentNode n : cluster.nodes()) {
            if (n == primary) {
                continue;
            }
            Map<String, Long> mine = state(FaultCampaign.query(cluster, n, "SELECT @@gtid_binlog_state").orElse(""));
            for (var e : mine.entrySet()) {
                long beyond = e.getValue() - reference.getOrDefault(e.getKey(), 0L);
                if (beyond > 0) {
                    errant += beyond;
                    history.event("ERRANT %s has %d transaction(s) of %s beyond the primary's %s", n.name, beyond, e.getKey(), primary.name);
                }
            }
        }
        return errant;
    }

    /** {@code 0-1-100,0-2-7} → {"0-1": 100, "0-2": 7}. */
    static Map<String, Long> state(String gtids) {
        Map<String, Long> out = new HashMap<>();
        for (String g : gtids.split(",")) {
            String[] p = g.strip().split("-");
            if (p.length == 3) {
                out.merge(p[0] + "-" + p[1], Long.parseLong(p[2]), Math::max);
            }
        }
        return out;
    }

    private static long countInLog(AgentNode n, String text) {
        try {
            return java.nio.file.Files.readAllLines(n.home.resolve("agent.log")).stream().filter(l -> l.contains(text)).count();
        } catch (java.io.IOException e) {
            return 0;
        }
    }
}
