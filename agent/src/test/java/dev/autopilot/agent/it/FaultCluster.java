package dev.autopilot.agent.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autopilot.agent.cluster.ClusterStore;
import dev.autopilot.coordination.Coordinator;
import dev.autopilot.coordination.CoordinatorSettings;
import dev.autopilot.coordination.Coordinators;
import dev.autopilot.coordination.Versioned;
import dev.autopilot.testkit.etcd.EtcdCluster;
import dev.autopilot.testkit.net.Firewall;
import dev.autopilot.testkit.net.NetworkNamespace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * The fault suite's cluster, run inside a private network namespace: 3 etcd members on {@code <subnet>.1-3}, N agents
 * on {@code <subnet>.11..}, a directory object store, and a separate path from every agent to every etcd member
 * (agent {@code i} reaches etcd member {@code k} only at {@code <aliasSubnet>.(10i+k)}), so one agent alone can be cut
 * from the store. Clients bind {@code clientAddress}: on loopback every other connection comes from 127.0.0.1, which is
 * how "the primary cut from its peers" spares the clients.
 */
final class FaultCluster implements AutoCloseable {
    static final String CLUSTER = "faults";
    private static final ObjectMapper JSON = new ObjectMapper();

    final EtcdCluster etcd;
    final Coordinator store;
    final Path root;
    final Path objectStore;
    final String clientAddress;
    private final String aliasSubnet;
    private final List<AgentNode> nodes = new ArrayList<>();
    /** Each member's data directory: room for its data, binlogs, relay logs and a rebuild's second copy. */
    private static final String DISK_BYTES = "2g";
    private final boolean ownDisks;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    FaultCluster(Path root, String subnet, String aliasSubnet, String clientAddress, int members, Map<String, String> settings)
            throws IOException {
        this.root = root;
        this.aliasSubnet = aliasSubnet;
        this.clientAddress = clientAddress;
        Path secrets = Files.createDirectories(root.resolve("secrets"));
        Map<String, String> secretValues = Map.of("root-password", TestCluster.ROOT_PASSWORD, "replication-password", "repl-secret-123",
                "monitor-password", "monitor-secret-123", "backup-password", "backup-secret-123",
                "app-password", AgentNode.APP_PASSWORD, "cluster-token", TestCluster.CLUSTER_TOKEN);
        for (var s : secretValues.entrySet()) {
            Files.writeString(secrets.resolve(s.getKey()), s.getValue() + "\n");
        }
        this.objectStore = Files.createDirectories(root.resolve("object-store"));
        List<List<String>> aliases = IntStream.rangeClosed(1, 3)
                .mapToObj(k -> IntStream.rangeClosed(1, members).mapToObj(i -> alias(i, k)).toList()).toList();
        this.etcd = EtcdCluster.builder().addresses(subnet + ".1", subnet + ".2", subnet + ".3")
                .clientAliasesPerMember(aliases).dataRoot(root.resolve("etcd")).startupTimeout(Duration.ofSeconds(60)).start();
        this.store = Coordinators.open(CoordinatorSettings.etcd(CLUSTER, etcd.endpoints()));
        Map<String, String> env = new LinkedHashMap<>(settings);
        env.put("AUTOPILOT_BACKUP_DIRECTORY", objectStore.toString());
        this.ownDisks = NetworkNamespace.privateMounts();
        for (int i = 1; i <= members; i++) {
            int n = i;
            if (ownDisks) {
                mountTmpfs(root.resolve("db" + i).resolve("data")); // agent.log stays beside it, on the real disk
            }
            String endpoints = String.join(",", IntStream.rangeClosed(1, 3).mapToObj(k -> "http://" + alias(n, k) + ":2379").toList());
            nodes.add(new AgentNode("db" + i, subnet + "." + (10 + i), root, CLUSTER, endpoints, secrets, env));
        }
    }

    /** Whether each member's data directory is a tmpfs of its own (DISK_FULL can be injected). */
    boolean ownDisks() {
        return ownDisks;
    }

    private static void mountTmpfs(Path dir) throws IOException {
        Files.createDirectories(dir);
        run("mount", "-t", "tmpfs", "-o", "size=" + DISK_BYTES + ",mode=0755", "tmpfs", dir.toString());
    }

    /** Fills the member's file system to its last 64 KiB with a ballast file; returns the bytes left. */
    long fillDisk(AgentNode node) throws IOException {
        Path data = node.home.resolve("data");
        long free = Files.getFileStore(data).getUsableSpace();
        run("fallocate", "-l", Long.toString(Math.max(0, free - (64 << 10))), ballast(node).toString());
        return Files.getFileStore(data).getUsableSpace();
    }

    void drainDisk(AgentNode node) throws IOException {
        Files.deleteIfExists(ballast(node));
    }

    private static Path ballast(AgentNode node) {
        return node.home.resolve("data").resolve("disk-full.ballast");
    }

    private static void run(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + out.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        }
    }

    private String alias(int member, int etcdMember) {
        return aliasSubnet + "." + (10 * member + etcdMember);
    }

    List<AgentNode> nodes() {
        return List.copyOf(nodes);
    }

    AgentNode node(String name) {
        return nodes.stream().filter(n -> n.name.equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no member " + name));
    }

    int index(AgentNode node) {
        return nodes.indexOf(node) + 1;
    }

    /** The lock holder's name, empty when free or when the store does not answer. */
    Optional<String> leader() {
        try {
            return store.get(ClusterStore.LOCKS + ClusterStore.LEADER_LOCK).map(Versioned::text);
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The lock holder, when it is also in the primary service. */
    Optional<AgentNode> primary() {
        List<String> healthy = healthy("primary");
        return leader().filter(healthy::contains).map(this::node);
    }

    /** Members registered healthy in the {@code primary} or {@code replica} service; empty when the store does not answer. */
    List<String> healthy(String role) {
        try {
            return store.healthyMembers(CLUSTER + "-" + role).stream().map(m -> m.name()).toList();
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    /** Member records as published (read as JSON, so this harness outlives changes to the record's fields). */
    Map<String, JsonNode> records() {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        try {
            for (Versioned v : store.list(ClusterStore.MEMBERS)) {
                JsonNode r = JSON.readTree(v.value());
                out.put(r.path("name").asText(), r);
            }
        } catch (IOException | RuntimeException e) {
            // store unreachable: no records this time
        }
        return out;
    }

    /** {@code @@read_only} over the member's socket; empty when its server does not answer. */
    Optional<Boolean> readOnly(AgentNode node) {
        try (Connection c = root(node); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT @@read_only")) {
            return rs.next() ? Optional.of(rs.getInt(1) != 0) : Optional.empty();
        } catch (SQLException e) {
            return Optional.empty();
        }
    }

    /** A root connection over the member's unix socket: unaffected by any partition. */
    Connection root(AgentNode node) throws SQLException {
        return DriverManager.getConnection("jdbc:mariadb://localhost/?localSocket=" + node.home.resolve("data/run/mysqld.sock")
                + "&connectTimeout=2000&socketTimeout=10000", "root", TestCluster.ROOT_PASSWORD);
    }

    /** The application user over TCP from the clients' address, as an application would connect. */
    Connection client(AgentNode node, int socketTimeoutMillis) throws SQLException {
        return DriverManager.getConnection("jdbc:mariadb://" + node.address + ":3306/app?connectTimeout=2000&socketTimeout="
                + socketTimeoutMillis + "&localSocketAddress=" + clientAddress, AgentNode.APP_USER, AgentNode.APP_PASSWORD);
    }

    // ----- faults -----

    /** Cuts the member's agent from every etcd member (its own alias addresses). */
    void cutFromStore(AgentNode node) {
        IntStream.rangeClosed(1, 3).forEach(k -> Firewall.isolate(alias(index(node), k)));
    }

    void healFromStore(AgentNode node) {
        IntStream.rangeClosed(1, 3).forEach(k -> Firewall.rejoin(alias(index(node), k)));
    }

    /**
     * Drops every packet between 127.0.0.1 (the source of every peer's connection on loopback) and the member's
     * address: replication from it and its peers' REST calls stop; clients, which bind their own address, do not.
     */
    void cutFromPeers(AgentNode node) {
        Firewall.cut("127.0.0.1", node.address);
    }

    void healFromPeers(AgentNode node) {
        Firewall.heal("127.0.0.1", node.address);
    }

    /** Cuts etcd member {@code index} (0-based) from its peers and from every client path. */
    void isolateEtcd(int index) {
        etcdAddresses(index).forEach(Firewall::isolate);
    }

    void rejoinEtcd(int index) {
        etcdAddresses(index).forEach(Firewall::rejoin);
    }

    private List<String> etcdAddresses(int index) {
        List<String> all = new ArrayList<>();
        all.add(etcd.member(index).address());
        all.addAll(etcd.member(index).aliases());
        return all;
    }

    /** The object store made unusable: the directory moved away and a plain file in its place (even root fails). */
    void breakObjectStore() throws IOException {
        Files.move(objectStore, objectStore.resolveSibling("object-store.away"));
        Files.writeString(objectStore, "object store outage injected by the fault suite\n");
    }

    void repairObjectStore() throws IOException {
        Files.delete(objectStore);
        Files.move(objectStore.resolveSibling("object-store.away"), objectStore);
    }

    /** Asks for a planned switchover to {@code target} through a member's REST API; the reply as text. */
    String requestSwitchover(AgentNode via, AgentNode target) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + via.address + ":8008/switchover?to=" + target.name))
                            .header("Authorization", "Bearer " + TestCluster.CLUSTER_TOKEN).timeout(Duration.ofSeconds(10))
                            .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() + " " + r.body().strip();
        } catch (IOException e) {
            return "failed: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** Every process started for this member (its agent, its mariadbd, an orphan mariadbd a killed agent left). */
    List<ProcessHandle> processes(AgentNode node) {
        String home = node.home.toString() + "/";
        return ProcessHandle.allProcesses().filter(h -> h.info().commandLine().map(c -> c.contains(home)).orElse(false)).toList();
    }

    /** A mariadbd of this member that no agent of it runs (a killed agent's orphan), if any. */
    Optional<ProcessHandle> orphanDatabase(AgentNode node) {
        return processes(node).stream().filter(h -> h.info().command().orElse("").endsWith("mariadbd"))
                .filter(h -> h.parent().map(p -> !node.isRunning() || p.pid() != node.pid()).orElse(true)).findFirst();
    }

    /** SIGKILLs every process of the member (agent, databases, orphans) and waits for them to exit. */
    void killAll(AgentNode node) {
        node.crash();
        List<ProcessHandle> left = processes(node);
        left.forEach(ProcessHandle::destroyForcibly);
        left.forEach(h -> h.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> h).join());
    }

    static void signal(String signal, long pid) {
        try {
            Process p = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Idempotent: also run by the campaign's shutdown hook. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (AgentNode n : nodes) {
            try {
                processes(n).forEach(h -> signal("CONT", h.pid()));
                killAll(n);
            } catch (RuntimeException e) {
                // keep closing the others
            }
        }
        try {
            store.close();
        } finally {
            etcd.close();
        }
    }
}
