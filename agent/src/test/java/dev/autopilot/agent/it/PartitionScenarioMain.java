package dev.autopilot.agent.it;

import dev.autopilot.testkit.net.Firewall;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Runs inside its own network namespace (see {@link PartitionTest}): a 3-member etcd cluster and three agents;
 * the primary reaches etcd only through alias addresses, so cutting those and its own address isolates it
 * from the store and the replicas alone. Prints {@code FENCED_AT}, {@code PROMOTED_AT} (one monotonic clock)
 * and {@code RESULT ok} or {@code RESULT fail: ...}; exits 0 only on success.
 */
public final class PartitionScenarioMain {
    private PartitionScenarioMain() {}

    public static void main(String[] args) throws Exception {
        // Exit only after the cluster is closed: agents and their mariadbd are this process's children and would be
        // left running (outside any test's reach) if it exited first.
        System.exit(run(args));
    }

    private static int run(String[] args) {
        List<String> aliases = List.of("127.0.13.101", "127.0.13.102", "127.0.13.103");
        try (TestCluster cluster = new TestCluster("partition", "127.0.13", Path.of(args[0]), aliases)
                .withEnv("AUTOPILOT_FAILOVER_PROMOTION_WINDOW", "1s")) {
            String aliasEndpoints = cluster.etcd.aliasEndpoints().stream().map(Object::toString).collect(Collectors.joining(","));
            AgentNode first = cluster.add(1, aliasEndpoints);
            first.start();
            Scenarios.awaitPrimary(cluster, Duration.ofMinutes(2));
            cluster.add(2).start();
            cluster.add(3).start();
            Scenarios.awaitReplica(cluster, "db2", Duration.ofMinutes(2));
            Scenarios.awaitReplica(cluster, "db3", Duration.ofMinutes(2));
            AckedWriter.createTable(first);
            try (AckedWriter writer = new AckedWriter(() -> Scenarios.primary(cluster));
                 WritableSampler sampler = new WritableSampler(cluster.nodes())) {
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> writer.count() > 20);
                long cut = System.nanoTime();
                Firewall.isolate(first.address);
                aliases.forEach(Firewall::isolate);
                long fencedAt = -1;
                long promotedAt = -1;
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while ((fencedAt < 0 || promotedAt < 0) && System.nanoTime() < deadline) {
                    if (fencedAt < 0 && !cluster.writable().contains(first.name)) {
                        fencedAt = System.nanoTime();
                    }
                    if (promotedAt < 0 && cluster.leader().filter(l -> !l.equals(first.name)).isPresent()) {
                        promotedAt = System.nanoTime();
                    }
                    Thread.sleep(20); // the sampling period of this observer
                }
                System.out.printf("FENCED_AT %d ms%nPROMOTED_AT %d ms%n", (fencedAt - cut) / 1_000_000, (promotedAt - cut) / 1_000_000);
                long gap = Scenarios.unavailabilityMillis(writer, cut, Scenarios.awaitPrimary(cluster, Duration.ofSeconds(30)));
                System.out.printf("partition: write unavailability %d ms%n", gap);
                aliases.forEach(Firewall::rejoin);
                Firewall.rejoin(first.address);
                Scenarios.awaitReplica(cluster, first.name, Duration.ofSeconds(90));
                String problem = fencedAt < 0 ? "old primary never turned read-only"
                        : promotedAt < 0 ? "no new primary"
                        : fencedAt > promotedAt ? "new primary took the lock before the old one fenced itself"
                        : !sampler.splitBrains().isEmpty() ? "two writable members: " + sampler.splitBrains()
                        : cluster.writable().size() != 1 ? "writable members after healing: " + cluster.writable()
                        : "";
                System.out.println(problem.isEmpty() ? "RESULT ok" : "RESULT fail: " + problem + "\n" + cluster.logs());
                return problem.isEmpty() ? 0 : 1;
            }
        } catch (Throwable t) {
            t.printStackTrace(System.out);
            System.out.println("RESULT fail: " + t);
            return 1;
        }
    }
}
