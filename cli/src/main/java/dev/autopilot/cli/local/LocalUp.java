package dev.autopilot.cli.local;

import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.cli.CommandFailure;
import dev.autopilot.cli.ExitCodes;
import dev.autopilot.cli.cluster.ClusterConnection;
import dev.autopilot.cli.cluster.ClusterReading;
import dev.autopilot.cli.cluster.StatusReport;
import dev.autopilot.cli.command.StatusCommand;
import dev.autopilot.coordination.CoordinationException;
import dev.autopilot.coordination.CoordinatorSettings;
import dev.autopilot.coordination.Coordinators;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code autopilot local up [-n 3] [--zero-loss] [--detach]}: one etcd, N agents (each with its own mariadbd on
 * {@code <base>.(10+N)}), HAProxy on {@code <base>.1:3306} routing to the primary (and {@code :3307} to the
 * replicas); then the live status view, or, with {@code --detach}, returns once every member is healthy.
 */
@Command(name = "up", mixinStandardHelpOptions = true, description = "Start a local cluster and show its live status.")
final class LocalUp extends LocalMemberCommand {
    static final List<String> SECRETS = List.of("root-password", "replication-password", "monitor-password", "backup-password",
            "app-password", "cluster-token");

    @Option(names = {"-n", "--members"}, defaultValue = "3", description = "Number of members (1-9, default 3).")
    int members;

    @Option(names = "--zero-loss", description = "Semi-synchronous replication: acknowledged commits survive losing the primary.")
    boolean zeroLoss;

    @Option(names = "--detach", description = "Return once every member is healthy (for scripts) instead of showing the live view.")
    boolean detach;

    @Option(names = "--address-base", defaultValue = "127.0.0", paramLabel = "A.B.C",
            description = "Loopback addresses to use: etcd and HAProxy on A.B.C.1, member N on A.B.C.(10+N).")
    String base;

    @Option(names = "--cluster", defaultValue = "local", description = "Cluster name (default local).")
    String cluster;

    @Option(names = "--timeout", defaultValue = "180s", paramLabel = "DURATION", description = "How long to wait for every member to be healthy.")
    Duration timeout;

    @Override
    public Integer call() throws IOException {
        if (members < 1 || members > 9) {
            throw CommandFailure.usage("-n " + members + ": give 1 to 9 members");
        }
        if (!base.matches("127\\.\\d{1,3}\\.\\d{1,3}")) {
            throw CommandFailure.usage("--address-base " + base + ": must be a loopback prefix like 127.0.0");
        }
        LocalLayout layout = layout();
        if (layout.readState().filter(s -> s.processes().stream().anyMatch(p -> p.handle().isPresent())).isPresent()) {
            throw CommandFailure.failed("a local cluster already runs from " + layout.root() + "; see 'autopilot status"
                    + (dir == null ? "" : " --dir " + dir) + "' or stop it with 'autopilot local down'");
        }
        Prerequisites.of(env()).ensure();
        LocalState state = new LocalState(cluster, base, members, zeroLoss, "http://" + base + ".1:2379", base + ".1:3306", List.of());
        requireFreePorts(state);
        prepare(layout, state);

        long started = System.nanoTime();
        out().println("starting local cluster '" + cluster + "' in " + layout.root() + ": etcd, " + members + " members, HAProxy");
        out().flush();
        state = state.with(startEtcd(layout, state));
        layout.writeState(state);
        awaitEtcd(state);
        // HAProxy before the agents: the first primary tells it about itself the moment its writes open.
        state = state.with(LocalProcesses.spawn("haproxy", List.of(Prerequisites.of(env()).find("haproxy").orElseThrow().toString(),
                "-db", "-f", layout.haproxyConfig().toString()), layout.log("haproxy"), Map.of()));
        layout.writeState(state);
        for (String name : state.memberNames()) {
            state = state.with(startAgent(name));
            layout.writeState(state);
        }

        try (ClusterConnection store = connect(state)) {
            final int n = members;
            ClusterReading c = await(store, timeout, r -> r.healthyMembers() == n && r.problems().isEmpty(),
                    "every member healthy (logs in " + layout.root().resolve("logs") + ")");
            out().print(StatusReport.table(c));
            out().printf("local cluster '%s' is up after %s: primary %s%n", cluster, seconds(started), c.primary().orElseThrow().name());
            out().printf("  clients (primary):  mysql -h %s.1 -P 3306 -u app -p\"$(cat %s)\" app%n", base, layout.secrets().resolve("app-password"));
            out().printf("  clients (replicas): port 3307 on %s.1%n", base);
            MemberRecord p = c.primary().orElseThrow();
            out().printf("  console: http://%s:%d/ui   (every member serves it; the cluster token is in %s)%n", p.address(), p.apiPort(),
                    layout.secrets().resolve("cluster-token"));
            out().printf("  status: autopilot status%s   failover demo: autopilot local kill %s   stop: autopilot local down%n",
                    dir == null ? "" : " --dir " + dir, c.primary().orElseThrow().name());
            out().flush();
            if (detach) {
                return ExitCodes.OK;
            }
            out().println("(live view; Ctrl-C leaves the cluster running)");
            return StatusCommand.watch(store, Duration.ofSeconds(1), false, out(), err());
        }
    }

    private void requireFreePorts(LocalState state) {
        List<String> busy = new ArrayList<>();
        List<InetSocketAddress> wanted = new ArrayList<>();
        for (int port : new int[] {2379, 2380, 3306, 3307}) {
            wanted.add(new InetSocketAddress(state.serviceAddress(), port));
        }
        for (int n = 1; n <= state.members(); n++) {
            for (int port : new int[] {3306, 8008, 4444}) {
                wanted.add(new InetSocketAddress(state.memberAddress(n), port));
            }
        }
        for (InetSocketAddress a : wanted) {
            try (Socket s = new Socket()) {
                s.connect(a, 200);
                busy.add(a.getHostString() + ":" + a.getPort());
            } catch (IOException free) {
                // nothing listens: good
            }
        }
        if (!busy.isEmpty()) {
            throw CommandFailure.failed("ports in use: " + busy + " (an earlier cluster or a local database?); stop what listens there "
                    + "(ss -ltnp) or choose other addresses with --address-base");
        }
    }

    private void prepare(LocalLayout layout, LocalState state) throws IOException {
        Files.createDirectories(layout.secrets());
        Files.createDirectories(layout.root().resolve("logs"));
        Files.createDirectories(layout.backups());
        SecureRandom random = new SecureRandom();
        for (String name : SECRETS) {
            Path file = layout.secrets().resolve(name);
            if (!Files.exists(file)) { // a restarted cluster keeps its secrets: its databases know them
                byte[] bytes = new byte[16];
                random.nextBytes(bytes);
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(file, HexFormat.of().formatHex(bytes) + "\n");
            }
        }
        for (int n = 1; n <= state.members(); n++) {
            String name = LocalState.memberName(n);
            Files.createDirectories(layout.memberHome(name));
            Files.write(layout.memberConfig(name), agentConfig(layout, state, n));
        }
        Files.writeString(layout.haproxyConfig(), HaproxyConfig.render(state, layout.haproxySocket()));
    }

    /** One member's agent.yaml: only settings the agent accepts (see AgentConfigLoader.SETTINGS). */
    static List<String> agentConfig(LocalLayout layout, LocalState state, int n) {
        List<String> haproxy = layout.haproxySocket().map(p -> List.of("haproxy:", "  runtimeApi: unix:" + p)).orElse(List.of());
        return Stream.concat(Stream.of(
                "# Generated by 'autopilot local up'; rewritten on every 'local up'.",
                "cluster: " + state.cluster(),
                "member:",
                "  name: " + LocalState.memberName(n),
                "  address: " + state.memberAddress(n),
                "  dataDir: " + layout.memberHome(LocalState.memberName(n)).resolve("data"),
                "mysql:",
                "  bufferPool: 32",
                "  zeroLoss: " + state.zeroLoss(),
                "  appUser: app",
                "  appDatabase: app",
                "coordination:",
                "  endpoints: [" + state.etcdEndpoint() + "]",
                "backup:",
                "  directory: " + layout.backups(),
                "  interval: 1h",
                "secrets:",
                "  dir: " + layout.secrets()), haproxy.stream()).toList();
    }

    private LocalState.LocalProcess startEtcd(LocalLayout layout, LocalState state) {
        String peer = "http://" + state.serviceAddress() + ":2380";
        String etcd = Prerequisites.of(env()).find("etcd").orElseThrow().toString();
        return LocalProcesses.spawn("etcd", List.of(etcd, "--name", "local", "--data-dir", layout.etcdData().toString(),
                "--listen-client-urls", state.etcdEndpoint(), "--advertise-client-urls", state.etcdEndpoint(),
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", "local=" + peer,
                "--snapshot-count", "5000", "--quota-backend-bytes", String.valueOf(128L << 20),
                // Member records are rewritten every few seconds; without compaction their history fills the quota in days
                // and etcd then refuses every write (and every primary fences).
                "--auto-compaction-mode", "periodic", "--auto-compaction-retention", "1h",
                "--log-level", "warn", "--logger", "zap"), layout.log("etcd"), Map.of());
    }

    private void awaitEtcd(LocalState state) {
        var settings = CoordinatorSettings.etcd(state.cluster(), List.of(URI.create(state.etcdEndpoint())))
                .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(30));
        try {
            Coordinators.open(settings).close();
        } catch (CoordinationException e) {
            throw CommandFailure.failed("etcd did not start at " + state.etcdEndpoint() + " (" + e.getMessage() + "); see "
                    + layout().log("etcd") + ", then 'autopilot local down'");
        } catch (UncheckedIOException e) {
            throw CommandFailure.failed(e.getMessage());
        }
    }
}
