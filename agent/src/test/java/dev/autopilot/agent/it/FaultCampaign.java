package dev.autopilot.agent.it;

import dev.autopilot.agent.it.Fault.Kind;
import dev.autopilot.testkit.net.NetworkNamespace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * bench/faults: a seeded fault-injection campaign against a live cluster, run inside its own network namespace
 * (bench/faults/run.sh and {@link FaultSuiteTest} start it with {@code unshare -n}). Starts the cluster, direct
 * clients and the writable probe, injects faults from {@link FaultSchedule} one after another (each healed, then the
 * cluster given a bounded time to recover), and ends with {@link FaultChecker}'s verdict: a summary on stdout, a
 * {@code CHECK key=value ...} line for tests, and the full history in a file named after the seed.
 *
 * <p>Usage: {@code FaultCampaign --seed S --minutes M [--zero-loss] [--members 3|5] [--faults N] [--kinds K1,K2]
 * [--root DIR] [--history FILE] [--recovery SECONDS] [--on primary|replica]}; {@code --on} aims every member fault at that
 * role instead of the drawn one (a regression scenario). Exit status 0: no violation; 1: a violation; 2: the harness failed.
 */
public final class FaultCampaign {
    private FaultCampaign() {}

    /** What to run. */
    record Options(long seed, Duration length, boolean zeroLoss, int members, int maxFaults, List<Kind> kinds, Path root,
                   Path history, Duration recovery, Optional<Boolean> onPrimary) {

        static Options parse(String... args) {
            Map<String, String> a = new LinkedHashMap<>();
            for (int i = 0; i < args.length; i++) {
                String key = args[i];
                boolean flag = key.equals("--zero-loss");
                if (!key.startsWith("--") || (!flag && i + 1 >= args.length)) {
                    throw new IllegalArgumentException("unexpected argument '" + key + "'; usage: --seed S --minutes M [--zero-loss] "
                            + "[--members 3|5] [--faults N] [--kinds KILL_NODE,...] [--root DIR] [--history FILE] [--recovery SECONDS] [--on primary|replica]");
                }
                a.put(key.substring(2), flag ? "true" : args[++i]);
            }
            long seed = Long.parseLong(a.getOrDefault("seed", "1"));
            int members = Integer.parseInt(a.getOrDefault("members", "3"));
            if (members != 3 && members != 5) {
                throw new IllegalArgumentException("--members " + members + ": use 3 or 5");
            }
            boolean zeroLoss = a.containsKey("zero-loss");
            List<Kind> kinds = a.containsKey("kinds")
                    ? Arrays.stream(a.get("kinds").split(",")).map(String::strip).map(Kind::valueOf).toList() : FaultSchedule.ALL;
            String mode = zeroLoss ? "zero-loss" : "async";
            Path root = Path.of(a.getOrDefault("root", "target/it/faults-seed-" + seed + "-" + mode)).toAbsolutePath();
            Path history = Path.of(a.getOrDefault("history", "target/faults/seed-" + seed + "-" + mode + "-" + members + "m.history"))
                    .toAbsolutePath();
            return new Options(seed, Duration.ofSeconds((long) (Double.parseDouble(a.getOrDefault("minutes", "5")) * 60)), zeroLoss,
                    members, Integer.parseInt(a.getOrDefault("faults", "100000")), kinds, root, history,
                    Duration.ofSeconds(Long.parseLong(a.getOrDefault("recovery", "120"))),
                    Optional.ofNullable(a.get("on")).map(FaultCampaign::role));
        }

        String mode() {
            return zeroLoss ? "zero-loss" : "async";
        }
    }

    public static void main(String[] args) {
        // Exit only after the cluster is closed: its processes are this JVM's children.
        int status;
        try {
            status = run(Options.parse(args));
        } catch (IOException | RuntimeException e) {
            e.printStackTrace(System.out);
            System.out.println("RESULT harness: " + e);
            status = 2;
        }
        System.exit(status);
    }

    static int run(Options o) throws IOException {
        if (!NetworkNamespace.insidePrivateNamespace()) {
            System.out.println("RESULT harness: FaultCampaign must run in its own network namespace (bench/faults/run.sh does that)");
            return 2;
        }
        FaultHistory history = new FaultHistory();
        history.event("campaign seed %d, %s mode, %d members, %d s, at most %d faults of %s", o.seed(), o.mode(), o.members(),
                o.length().toSeconds(), o.maxFaults(), o.kinds().size() == Kind.values().length ? "every kind" : o.kinds());
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("AUTOPILOT_MYSQL_ZERO_LOSS", Boolean.toString(o.zeroLoss()));
        // Several failovers a minute: the 5-minute anti-flapping window would turn most of them into "no primary".
        settings.put("AUTOPILOT_FAILOVER_PROMOTION_WINDOW", "1s");
        settings.put("AUTOPILOT_BACKUP_INTERVAL", "2m");
        settings.put("AUTOPILOT_BACKUP_ARCHIVE_INTERVAL", "20s");
        emptyDirectory(o.root());
        try (FaultCluster cluster = new FaultCluster(o.root(), "127.0.46", "127.0.47", "127.0.48.1", o.members(), settings);
             RestartPolicy restarts = new RestartPolicy(cluster.nodes(), history)) {
            // SIGTERM/SIGINT of the campaign: its agents and their mariadbd must not outlive it.
            Thread cleanup = new Thread(cluster::close, "faults-cleanup");
            Runtime.getRuntime().addShutdownHook(cleanup);
            Recovery recovery = new Recovery(cluster, history, o.recovery(), restarts);
            cluster.nodes().forEach(restarts::start);
            if (!recovery.awaitHealthy("assembly", Duration.ofMinutes(4))) {
                System.out.println("RESULT harness: the cluster did not assemble\n" + recovery.diagnosis());
                return 2;
            }
            try (Connection c = cluster.root(cluster.primary().orElseThrow())) {
                DirectClients.createTables(c);
            }
            FaultSchedule schedule = new FaultSchedule(o.seed(), o.kinds());
            FaultInjector injector = new FaultInjector(cluster, history, restarts);
            Map<String, Integer> injected = new TreeMap<>();
            List<Fault> planned = new ArrayList<>();
            long end = System.nanoTime() + o.length().toNanos();
            FaultChecker.Verdict verdict;
            try (DirectClients clients = new DirectClients(cluster).start(); WritableProbe probe = new WritableProbe(cluster).start()) {
                while (System.nanoTime() < end && planned.size() < o.maxFaults()) {
                    Fault drawn = schedule.next();
                    Fault fault = o.onPrimary().map(drawn::aimedAt).orElse(drawn);
                    long quiet = schedule.quietMillis();
                    planned.add(fault);
                    Thread.sleep(quiet); // steady load between faults, from the schedule
                    if (injector.inject(fault)) {
                        injected.merge(fault.label(), 1, Integer::sum);
                    }
                    if (!recovery.afterHeal(fault.label())) {
                        history.event("the cluster did not recover; no further faults");
                        break;
                    }
                }
                verdict = new FaultChecker(cluster, history, o.zeroLoss()).check(clients, probe, recovery, restarts);
            }
            restarts.close();
            List<String> header = new ArrayList<>(List.of(
                    "# bench/faults history: seed " + o.seed() + ", " + o.mode() + ", " + o.members() + " members",
                    "# reproduce: bench/faults/run.sh --seed " + o.seed() + " --minutes " + o.length().toSeconds() / 60.0
                            + (o.zeroLoss() ? " --zero-loss" : "") + " --members " + o.members()
                            + o.onPrimary().map(p -> p ? " --on primary" : " --on replica").orElse("")
                            + (o.maxFaults() < 100000 ? " --faults " + o.maxFaults() : "")
                            + (o.kinds().size() < Kind.values().length ? " --kinds " + String.join(",", o.kinds().stream().map(Enum::name).toList()) : ""),
                    "# schedule (drawn from the seed, in order):"));
            planned.forEach(f -> header.add("#   " + f));
            header.addAll(verdict.summary(injected).lines().map(l -> "# " + l).toList());
            cluster.nodes().forEach(history::agentLog);
            history.write(o.history(), header);
            System.out.println(verdict.summary(injected));
            System.out.println("history: " + o.history());
            System.out.println(verdict.checkLine());
            System.out.println(verdict.violations().isEmpty() ? "RESULT ok" : "RESULT violations: " + String.join("; ", verdict.violations()));
            return verdict.violations().isEmpty() ? 0 : 1;
        } catch (Throwable t) {
            t.printStackTrace(System.out);
            System.out.println("RESULT harness: " + t);
            return 2;
        }
    }

    private static boolean role(String on) {
        return switch (on) {
            case "primary" -> true;
            case "replica" -> false;
            default -> throw new IllegalArgumentException("--on " + on + ": use primary or replica");
        };
    }

    private static void emptyDirectory(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (var walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
        Files.createDirectories(dir);
    }

    /** The first column of a query's first row on a member's server, read over its socket; empty when it does not answer. */
    static Optional<String> query(FaultCluster cluster, AgentNode node, String sql) {
        try (Connection c = cluster.root(node); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.empty();
        } catch (SQLException e) {
            return Optional.empty();
        }
    }
}
