package dev.autopilot.agent.it;

import dev.autopilot.agent.cluster.ClusterStore;
import dev.autopilot.agent.cluster.SwitchoverRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * bench/failover: each scenario, several trials, in async and zero-loss modes, on a real 3-member cluster under
 * continuous writes. Prints, per scenario and mode, the median and max write unavailability (fault → first write
 * acknowledged by the new primary) and the acknowledged writes lost. With {@code --via-haproxy}, a second writer
 * goes through a real HAProxy configured as {@code local up} configures its own (checks every 500 ms, the agents
 * told through its runtime API), and both figures print side by side: what a client connected directly sees and what
 * an application behind the proxy sees. Not a test: run by bench/failover/run.sh.
 */
public final class FailoverBench {
    private FailoverBench() {}

    public static void main(String[] args) throws Exception {
        boolean viaHaproxy = List.of(args).contains("--via-haproxy");
        List<String> positional = java.util.Arrays.stream(args).filter(a -> !a.equals("--via-haproxy")).toList();
        int trials = positional.size() > 0 ? Integer.parseInt(positional.get(0)) : 5;
        String onlyMode = positional.size() > 1 ? positional.get(1) : "all";
        String onlyScenario = positional.size() > 2 ? positional.get(2) : "";
        Map<String, BiConsumer<TestCluster, AgentNode>> scenarios = new LinkedHashMap<>();
        scenarios.put("node crash (kill -9 agent + mariadbd)", (c, p) -> p.crash());
        scenarios.put("mariadbd crash (kill -9)", (c, p) -> p.crashDatabase());
        scenarios.put("graceful stop (SIGTERM)", (c, p) -> Thread.ofVirtual().start(() -> p.stop(Duration.ofSeconds(60))));
        scenarios.put("planned switchover", (c, p) -> c.store.put(ClusterStore.SWITCHOVER, ClusterStore.encode(
                new SwitchoverRequest(p.name, "", System.currentTimeMillis(), ""))));
        // Address bases of the async and the zero-loss cluster; another pair lets two benches share a machine.
        List<String> subnets = List.of(System.getenv().getOrDefault("FAILOVER_BENCH_SUBNETS", "127.0.15,127.0.16").split(","));
        List<String> report = new ArrayList<>();
        for (boolean zeroLoss : new boolean[] {false, true}) {
            String mode = zeroLoss ? "zero-loss" : "async";
            if (!onlyMode.equals("all") && !onlyMode.equals(mode)) {
                continue;
            }
            Path root = TestCluster.tempRoot("FailoverBench-" + mode);
            String subnet = subnets.get(zeroLoss ? 1 : 0);
            try (TestCluster cluster = new TestCluster("bench", subnet, root)
                    .withEnv("AUTOPILOT_FAILOVER_PROMOTION_WINDOW", "1s").withEnv("AUTOPILOT_MYSQL_ZERO_LOSS", Boolean.toString(zeroLoss))) {
                if (viaHaproxy) {
                    cluster.withEnv("AUTOPILOT_HAPROXY_RUNTIME_API", "unix:" + HaproxyFront.socketIn(root));
                }
                List<AgentNode> nodes = List.of(cluster.add(1), cluster.add(2), cluster.add(3));
                nodes.forEach(AgentNode::start);
                HaproxyFront proxy = viaHaproxy ? HaproxyFront.start(root, subnet + ".1", nodes, Duration.ofMillis(500)) : null;
                Scenarios.awaitPrimary(cluster, Duration.ofMinutes(3));
                org.awaitility.Awaitility.await().atMost(Duration.ofMinutes(3)).until(() -> cluster.healthy("replica").size() == 2);
                AckedWriter.createTable(Scenarios.awaitPrimary(cluster, Duration.ofSeconds(10)));
                for (var scenario : scenarios.entrySet()) {
                    if (!scenario.getKey().startsWith(onlyScenario)) {
                        continue;
                    }
                    List<Long> gaps = new ArrayList<>();
                    List<Long> proxiedGaps = new ArrayList<>();
                    long lost = 0;
                    for (int t = 0; t < trials; t++) {
                        AgentNode old = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(60));
                        for (AgentNode n : cluster.nodes()) {
                            if (!n.name.equals(old.name)) {
                                Scenarios.awaitReplica(cluster, n.name, Duration.ofSeconds(120));
                            }
                        }
                        try (AckedWriter writer = new AckedWriter(() -> Scenarios.primary(cluster));
                             AckedWriter proxied = proxy == null ? null : AckedWriter.through(proxy.address, 3306, cluster::nodeAt)) {
                            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(15))
                                    .until(() -> writer.count() > 30 && (proxied == null || proxied.count() > 30));
                            long fault = System.nanoTime();
                            System.out.printf("%s fault: %s on %s%n", java.time.LocalTime.now(), scenario.getKey(), old.name);
                            scenario.getValue().accept(cluster, old);
                            AgentNode next = Scenarios.awaitNewPrimary(cluster, old.name, Duration.ofSeconds(30));
                            gaps.add(Scenarios.unavailabilityMillis(writer, fault, next));
                            if (proxied != null) {
                                proxiedGaps.add(Scenarios.unavailabilityMillis(proxied, fault, next));
                                proxied.close();
                            }
                            writer.close();
                            Set<Long> written = Scenarios.writtenIds(next);
                            lost += writer.missingFrom(written).size() + (proxied == null ? 0 : proxied.missingFrom(written).size());
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
                    proxiedGaps.sort(Long::compare);
                    String line = String.format("%-10s %-38s trials %d  median %5d ms  max %5d ms%s  lost acknowledged writes %d",
                            mode, scenario.getKey(), trials, gaps.get(gaps.size() / 2), gaps.getLast(),
                            proxiedGaps.isEmpty() ? "" : String.format("  via HAProxy: median %5d ms  max %5d ms",
                                    proxiedGaps.get(proxiedGaps.size() / 2), proxiedGaps.getLast()), lost);
                    System.out.println(line);
                    report.add(line);
                }
                if (proxy != null) {
                    proxy.close();
                }
            }
        }
        System.out.println("\n== bench/failover summary ==");
        report.forEach(System.out::println);
        System.exit(0);
    }
}
