package dev.autopilot.agent.it;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * bench/soak: a 3-member cluster under continuous writes while the agent or the mariadbd of a random member is
 * paused (SIGSTOP) for 2 s at random intervals. A pause that short must never cause a failover. Prints the
 * pauses, the leader changes (each one a false failover), the writes and the longest write gap.
 * Usage: SoakBench MINUTES (default 30).
 */
public final class SoakBench {
    private SoakBench() {}

    public static void main(String[] args) throws Exception {
        Duration length = Duration.ofMinutes(args.length > 0 ? Long.parseLong(args[0]) : 30);
        Random random = new Random(42);
        try (TestCluster cluster = new TestCluster("soak", "127.0.17", TestCluster.tempRoot("SoakBench"))) {
            List.of(cluster.add(1), cluster.add(2), cluster.add(3)).forEach(AgentNode::start);
            Scenarios.awaitPrimary(cluster, Duration.ofMinutes(3));
            org.awaitility.Awaitility.await().atMost(Duration.ofMinutes(3)).until(() -> cluster.healthy("replica").size() == 2);
            AgentNode first = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(10));
            AckedWriter.createTable(first);
            int pauses = 0;
            int leaderChanges = 0;
            String leader = first.name;
            long end = System.nanoTime() + length.toNanos();
            try (AckedWriter writer = new AckedWriter(() -> Scenarios.primary(cluster))) {
                long nextPause = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                while (System.nanoTime() < end) {
                    Optional<String> now = cluster.leader();
                    if (now.isPresent() && !now.get().equals(leader)) {
                        leaderChanges++;
                        System.out.printf("LEADER CHANGE %s -> %s (false failover)%n", leader, now.get());
                        leader = now.get();
                    }
                    if (System.nanoTime() >= nextPause) {
                        AgentNode victim = cluster.nodes().get(random.nextInt(cluster.nodes().size()));
                        boolean agent = random.nextBoolean();
                        ProcessHandle target = agent ? ProcessHandle.of(victim.pid()).orElseThrow() : victim.mariadbd().orElseThrow();
                        signal("STOP", target.pid());
                        Thread.sleep(2000); // the pause being injected
                        signal("CONT", target.pid());
                        pauses++;
                        System.out.printf("paused %s of %s for 2 s (%s)%n", agent ? "agent" : "mariadbd", victim.name,
                                victim.name.equals(leader) ? "primary" : "replica");
                        nextPause = System.nanoTime() + Duration.ofSeconds(5 + random.nextInt(11)).toNanos();
                    }
                    Thread.sleep(100); // observation period
                }
                writer.close();
                System.out.printf("%n== bench/soak summary ==%nlength %d min, 2 s pauses %d, leader changes (false failovers) %d, "
                        + "acknowledged writes %d, longest write gap %d ms%n", length.toMinutes(), pauses, leaderChanges,
                        writer.count(), writer.longestGapMillis());
            }
        }
        System.exit(0);
    }

    private static void signal(String sig, long pid) throws Exception {
        new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).inheritIO().start().waitFor();
    }
}
