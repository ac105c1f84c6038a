package dev.autopilot.cli.local;

import dev.autopilot.cli.CommandFailure;
import dev.autopilot.cli.cluster.ClusterConnection;
import dev.autopilot.cli.cluster.ClusterReading;
import dev.autopilot.cli.cluster.ClusterTarget;
import dev.autopilot.cli.cluster.TokenSource;
import dev.autopilot.cli.command.CliCommand;
import dev.autopilot.coordination.CoordinatorSettings;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import picocli.CommandLine.Option;

/** What the {@code local} subcommands share: the directory, its state, starting an agent, watching the store. */
abstract class LocalMemberCommand extends CliCommand {
    /**
     * Lean JVM flags for an always-on agent, as bin/jdk.sh's (keep them equal): C2 kept (one compiler thread each),
     * because snapshot uploads and restores hash every byte with SHA-256, which has no C1 intrinsic; a 4 MB young
     * generation, the old one shrunk at once at a full collection, JIT thresholds x4 (see docs/why.md).
     */
    static final List<String> AGENT_JVM_FLAGS = List.of("-XX:+UseSerialGC", "-XX:CICompilerCount=2",
            "-XX:CompileThresholdScaling=4", "-Xss512k", "-Xms8m", "-Xmn4m", "-Xmx128m", "-XX:-ShrinkHeapInSteps",
            "-XX:MaxMetaspaceSize=128m", "-XX:ReservedCodeCacheSize=48m",
            "-XX:+UseCompactObjectHeaders", "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=30",
            "-XX:TrimNativeHeapInterval=2000", "-XX:+ExitOnOutOfMemoryError", "--enable-native-access=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow");

    @Option(names = "--dir", paramLabel = "DIR", description = "Local cluster directory (default ./.local).")
    Path dir;

    LocalLayout layout() {
        return LocalLayout.of(dir);
    }

    LocalState state() {
        return layout().readState().orElseThrow(() -> CommandFailure.failed("no local cluster in " + layout().root()
                + "; start one with 'autopilot local up'" + (dir == null ? " (or pass --dir)" : "")));
    }

    ClusterConnection connect(LocalState state) {
        var settings = CoordinatorSettings.etcd(state.cluster(), List.of(URI.create(state.etcdEndpoint())));
        return new ClusterTarget(settings, List.of(new TokenSource.File(layout().secrets().resolve("cluster-token"), "local")), Optional.empty()).connect();
    }

    /** Starts member {@code name}'s agent: this JVM's binary and class path, so it works from the jar and from tests. */
    LocalState.LocalProcess startAgent(String name) {
        String java = ProcessHandle.current().info().command()
                .orElseThrow(() -> CommandFailure.failed("cannot tell which java binary runs this CLI"));
        var cmd = new ArrayList<String>();
        cmd.add(java);
        cmd.addAll(AGENT_JVM_FLAGS);
        cmd.addAll(javaOpts(System.getenv("AUTOPILOT_JAVA_OPTS")));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("dev.autopilot.cli.Main");
        cmd.addAll(List.of("agent", "--config", layout().memberConfig(name).toString()));
        return LocalProcesses.spawn(name, cmd, layout().log(name), Map.of());
    }

    /**
     * The caller's {@code AUTOPILOT_JAVA_OPTS}, split on white space, for the agents' command line (after the lean
     * flags, so they add or override as they do for {@code bin/autopilot}): the agents' environment loses every
     * {@code AUTOPILOT_*} variable, so without this a flag meant for an agent (Native Memory Tracking, a GC log) never
     * reached one.
     */
    static List<String> javaOpts(String value) {
        return value == null || value.isBlank() ? List.of() : List.of(value.strip().split("\\s+"));
    }

    static ClusterReading await(ClusterConnection store, Duration timeout, Predicate<ClusterReading> done, String what) {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            ClusterReading c;
            try {
                c = store.read();
            } catch (CommandFailure f) {
                c = null; // the store may be briefly busy; keep to the deadline
            }
            if (c != null && done.test(c)) {
                return c;
            }
            if (Instant.now().isAfter(deadline)) {
                throw CommandFailure.failed(what + " did not happen within " + timeout.toSeconds() + " s"
                        + (c == null ? "" : " (" + String.join("; ", c.problems()) + ")") + "; see the logs");
            }
            try {
                Thread.sleep(100); // polling the store for what other processes bring about
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw CommandFailure.failed("interrupted while waiting: " + what);
            }
        }
    }

    static String seconds(long startNanos) {
        return String.format("%.1f s", (System.nanoTime() - startNanos) / 1e9);
    }
}
