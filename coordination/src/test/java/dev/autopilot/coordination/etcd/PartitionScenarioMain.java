package dev.autopilot.coordination.etcd;

import dev.autopilot.coordination.ChildOutput;
import dev.autopilot.coordination.Coordinator;
import dev.autopilot.coordination.CoordinatorSettings;
import dev.autopilot.coordination.Coordinators;
import dev.autopilot.coordination.LeaderLock;
import dev.autopilot.coordination.LockHolderMain;
import dev.autopilot.testkit.etcd.EtcdCluster;
import dev.autopilot.testkit.net.Firewall;
import dev.autopilot.testkit.net.JavaCommand;
import dev.autopilot.testkit.net.NetworkNamespace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The "holder cut off from the store" scenario, run whole inside a private network namespace (see
 * {@link EtcdPartitionTest}): a 3-member etcd cluster on 127.0.2.21-23, each member also listening on an alias
 * 127.0.2.31-33; the holder (a child JVM) reaches etcd only through the aliases, the contender through the main
 * addresses. Isolating the aliases with iptables cuts the holder off while the contender keeps its path.
 *
 * <p>Prints {@code RESULT cut=<ns> lost=<ns> reason=<r> contenderAttemptBeforeAcquire=<ns>}, all System.nanoTime
 * (CLOCK_MONOTONIC, one clock for every process), and exits 0; exits 1 with a stack trace on failure.
 */
public final class PartitionScenarioMain {

    static final Duration TTL = Duration.ofSeconds(3);
    static final Duration MARGIN = Duration.ofSeconds(1);

    private PartitionScenarioMain() {
    }

    public static void main(String[] args) throws Exception {
        if (!NetworkNamespace.insidePrivateNamespace()) {
            throw new IllegalStateException("run me through NetworkNamespace.start(...)");
        }
        List<String> aliases = List.of("127.0.2.31", "127.0.2.32", "127.0.2.33");
        Path holderOut = Files.createTempFile("partition-holder", ".out");
        Process holder = null;
        try (EtcdCluster etcd = EtcdCluster.builder().addresses("127.0.2.21", "127.0.2.22", "127.0.2.23")
                .clientAliases(aliases.toArray(String[]::new)).start()) {
            String holderEndpoints = etcd.aliasEndpoints().stream().map(Object::toString).collect(Collectors.joining(","));
            holder = new ProcessBuilder(JavaCommand.of(LockHolderMain.class, holderEndpoints, "partition", "primary", "holder",
                    Long.toString(TTL.toMillis()), Long.toString(MARGIN.toMillis())))
                    .redirectErrorStream(true).redirectOutput(holderOut.toFile()).start();
            ChildOutput out = new ChildOutput(holderOut);
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (out.line("ACQUIRED").isEmpty()) {
                if (System.nanoTime() > until || !holder.isAlive()) {
                    throw new IllegalStateException("holder did not acquire:\n" + out.text());
                }
                Thread.sleep(50);
            }
            try (Coordinator c = Coordinators.open(CoordinatorSettings.etcd("partition", etcd.endpoints())
                    .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(10)))) {
                LeaderLock contender = c.leaderLock("primary", "contender", TTL, MARGIN, loss -> { });
                if (contender.tryAcquire()) {
                    throw new IllegalStateException("contender acquired a lock the holder holds");
                }
                aliases.forEach(Firewall::isolate);
                long cut = System.nanoTime();
                long attemptStart;
                do { // poll every 20 ms so the acquisition time is known to within 20 ms
                    Thread.sleep(20);
                    attemptStart = System.nanoTime();
                    if (attemptStart - cut > Duration.ofSeconds(15).toNanos()) {
                        throw new IllegalStateException("contender never acquired after the cut");
                    }
                } while (!contender.tryAcquire());
                while (out.line("LOST").isEmpty()) {
                    if (System.nanoTime() - cut > Duration.ofSeconds(20).toNanos()) {
                        throw new IllegalStateException("holder never reported the lease lost:\n" + out.text());
                    }
                    Thread.sleep(20);
                }
                String[] lost = out.line("LOST").orElseThrow();
                System.out.println("RESULT cut=" + cut + " lost=" + lost[1] + " reason=" + lost[2]
                        + " contenderAttemptBeforeAcquire=" + attemptStart);
                contender.release();
            }
        } finally {
            if (holder != null) {
                NetworkNamespace.destroyTree(holder);
            }
            System.out.println("HOLDER OUTPUT\n" + Files.readString(holderOut));
            Files.deleteIfExists(holderOut);
        }
        System.exit(0);
    }
}
