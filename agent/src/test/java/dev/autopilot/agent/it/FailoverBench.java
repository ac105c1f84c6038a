package dev.autopilot.agent.it;

import dev.autopilot.agent.cluster.ClusterStore;
import dev.autopilot.agent.cluster.SwitchoverRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * bench/failover: each scenario, several trials, in async and zero-loss modes, on a real 3-member cluster under
 * continuous writes. Prints, per scenario and mode, the median and max write unavailability (fault → first write
 * acknowledged by the new primary) and the acknowledged writes lost. Not a test: run by bench/failover/run.sh.
 */
public final class FailoverBench {
    private FailoverBench() {}

    public static void main(String[] args) throws Exception {
        int trials = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        String onlyMode = args.length > 1 ? args[1] : "all";
        String onlyScenario = args.length > 2 ? args[2] : "";
        Map<String, BiConsumer<TestCluster, AgentNode>> scenarios = new LinkedHashMap<>();
        scenarios.put("node crash (kill -9 agent + mariadbd)", (c, p) -> p.crash());
        scenarios.put("mariadbd crash (kill -9)", (c, p) -> p.crashDatabase());
        scenarios.put("graceful stop (SIGTERM)", (c, p) -> Thread.ofVirtual().start(() -> p.stop(Duration.ofSeconds(60))));
        scenarios.put("planned switchover", (c, p) -> c.store.put(ClusterStore.SWITCHOVER, ClusterStore.encode(
                new SwitchoverRequest(p.name, "", System.currentTimeMillis(), ""))));
        List<String> report = new ArrayList<>();
        for (boolean zeroLoss : new boolean[] {false, true}) {
            String mode = zeroLoss ? "zero-loss" : "async";
            if (!onlyMode.equals("all") && !onlyMode.equals(mode)) {
                continue;
            }
            Path root = TestCluster.tempRoot("FailoverBench-" + mode);
            try (TestCluster cluster = new TestCluster("bench", zeroLoss ? "127.0.16" : "127.0.15", root)
                    .withEnv("AUTOPILOT_FAILOVER_PROMOTION_WINDOW", "1s").withEnv("AUTOPILOT_MYSQL_ZERO_LOSS", Boolean.toString(zeroLoss))) {
                List.of(cluster.add(1), cluster.add(2), cluster.add(3)).forEach(AgentNode::start);
                Scenarios.awaitPrimary(cluster, Duration.ofMinutes(3));
                org.awaitility.Awaitility.await().atMost(Duration.ofMinutes(3)).until(() -> cluster.healthy("replica").size() == 2);
                AckedWriter.createTable(Scenarios.awaitPrimary(cluster, Duration.ofSeconds(10)));
                for (var scenario : scenarios.entrySet()) {
                    if (!scenario.getKey().startsWith(onlyScenario)) {
                        continue;
                    }
                    List<Long> gaps = new ArrayList<>();
                    long lost = 0;
                    for (int t = 0; t < trials; t++) {
                        AgentNode old = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(60));
                        for (AgentNode n : cluster.nodes()) {
                            if (!n.name.equals(old.name)) {
                                Scenarios.awaitReplica(cluster, n.name, Duration.ofSeconds(120));
                            }
                        }
                        try (AckedWriter writer = new AckedWriter(() -> Scenarios.primary(cluster))) {
                            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> writer.count() > 30);
                            long fault = System.nanoTime();
                            System.out.printf("%s fault: %s on %s%n", java.time.LocalTime.now(), scenario.getKey(), old.name);
                            scenario.getValue().accept(cluster, old);
                            AgentNode next = Scenarios.awaitNewPrimary(cluster, old.name, Duration.ofSeconds(30));
                            gaps.add(Scenarios.unavailabilityMillis(writer, fault, next));
                            writer.close();
                            lost += writer.missingFrom(Scenarios.writtenIds(next)).size();
                        }
                        if (scenario.getKey().startsWith("graceful")) {
                            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> !old.isRunning());
                        }
                        if (!old.isRunning()) {
                            old.start();
                        }
                        Scenarios.awaitReplica(cluster, old.name, Duration.ofSeconds(120));
                    }
                    gaps.sort(Long::compare);
                    String line = String.format("%-10s %-38s trials %d  median %5d ms  max %5d ms  lost acknowledged writes %d",
                            mode, scenario.getKey(), trials, gaps.get(gaps.size() / 2), gaps.getLast(), lost);
                    System.out.println(line);
                    report.add(line);
                }
            }
        }
        System.out.println("\n== bench/failover summary ==");
        report.forEach(System.out::println);
        System.exit(0);
    }
}
