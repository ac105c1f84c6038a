package dev.autopilot.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.autopilot.agent.cluster.ClusterStore;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.coordination.CoordinationException;
import dev.autopilot.coordination.Coordinator;
import dev.autopilot.coordination.CoordinatorSettings;
import dev.autopilot.coordination.Coordinators;
import dev.autopilot.coordination.Versioned;
import dev.autopilot.testkit.etcd.EtcdCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A real 3-member etcd cluster and N agents on 127.0.X.N, with shared cluster secrets; read-only access to
 * the store for assertions. Everything is killed on close.
 */
final class TestCluster implements AutoCloseable {
    static final String ROOT_PASSWORD = "root-secret-123";
    static final String CLUSTER_TOKEN = "cluster-token-0123456789abcdef";

    final String cluster;
    final EtcdCluster etcd;
    final Coordinator store;
    final Path root;
    final Path secrets;
    private final String subnet;
    private final Map<String, AgentNode> nodes = new LinkedHashMap<>();
    private final Map<String, String> env = new LinkedHashMap<>();

    TestCluster(String cluster, String subnet, Path root) throws IOException {
        this(cluster, subnet, root, List.of());
    }

    /** With {@code etcdAliases}: one extra client address per etcd member (see EtcdCluster.Builder#clientAliases). */
    TestCluster(String cluster, String subnet, Path root, List<String> etcdAliases) throws IOException {
        this.cluster = cluster;
        this.subnet = subnet;
        this.root = root;
        this.secrets = root.resolve("secrets");
        Files.createDirectories(secrets);
        write("root-password", ROOT_PASSWORD);
        write("replication-password", "repl-secret-123");
        write("monitor-password", "monitor-secret-123");
        write("backup-password", "backup-secret-123");
        write("app-password", AgentNode.APP_PASSWORD);
        write("cluster-token", CLUSTER_TOKEN);
        var builder = EtcdCluster.builder().addresses(subnet + ".1", subnet + ".2", subnet + ".3").dataRoot(root.resolve("etcd"));
        if (!etcdAliases.isEmpty()) {
            builder.clientAliases(etcdAliases.toArray(String[]::new));
        }
        etcd = builder.start();
        try {
            store = openStore(CoordinatorSettings.etcd(cluster, etcd.endpoints()));
        } catch (RuntimeException e) {
            etcd.close(); // or its ports stay taken for the next test
            throw e;
        }
    }

    /** The store, once etcd answers: on a loaded machine its first read can take longer than one attempt allows. */
    private static Coordinator openStore(CoordinatorSettings settings) {
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try {
                return Coordinators.open(settings);
            } catch (CoordinationException e) {
                if (System.nanoTime() > until) {
                    throw e;
                }
            }
        }
    }

    private void write(String name, String value) throws IOException {
        Files.writeString(secrets.resolve(name), value + "\n");
    }

    /** An environment setting (e.g. AUTOPILOT_FAILOVER_PROMOTION_WINDOW=1s) for every node added after this call. */
    TestCluster withEnv(String name, String value) {
        env.put(name, value);
        return this;
    }

    /** Adds (does not start) node {@code n}: name {@code db<n>}, address {@code <subnet>.<10+n>}. */
    AgentNode add(int n) {
        return add(n, etcd.endpointsCsv());
    }

    /** As {@link #add(int)}, reaching etcd through the given endpoints (e.g. aliases that a partition can cut). */
    AgentNode add(int n, String etcdEndpoints) {
        String name = "db" + n;
        AgentNode node = new AgentNode(name, subnet + "." + (10 + n), root, cluster, etcdEndpoints, secrets, env);
        nodes.put(name, node);
        return node;
    }

    /**
     * Adds and starts members {@code db1..db<n>} at the same moment, waits until one is a healthy primary and the
     * others healthy replicas, and creates the writers' table; returns this cluster.
     */
    TestCluster assemble(int n) throws SQLException {
        for (int i = 1; i <= n; i++) {
            add(i).start();
        }
        await(n + " members assembled").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            nodes.values().forEach(AgentNode::restartIfStoreTimedOut); // a loaded machine: see AgentNode
            assertThat(healthy("primary")).as(logs()).hasSize(1);
            assertThat(healthy("replica")).hasSize(n - 1);
        });
        AckedWriter.createTable(Scenarios.awaitPrimary(this, Duration.ofSeconds(10)));
        return this;
    }

    AgentNode node(String name) {
        return nodes.get(name);
    }

    /** The member whose server is bound to {@code address}. */
    String nodeAt(String address) {
        return nodes.values().stream().filter(n -> n.address.equals(address)).map(n -> n.name).findFirst()
                .orElseThrow(() -> new IllegalStateException("no member at " + address));
    }

    List<AgentNode> nodes() {
        return List.copyOf(nodes.values());
    }

    Map<String, MemberRecord> members() {
        Map<String, MemberRecord> out = new LinkedHashMap<>();
        for (Versioned v : store.list(ClusterStore.MEMBERS)) {
            MemberRecord r = ClusterStore.decode(v.value(), MemberRecord.class);
            out.put(r.name(), r);
        }
        return out;
    }

    /** The failsafe roster the primary published (failover.failsafe), if any. */
    Optional<dev.autopilot.agent.cluster.FailsafeRoster> failsafeRoster() {
        return store.get(ClusterStore.FAILSAFE).map(v -> ClusterStore.decode(v.value(), dev.autopilot.agent.cluster.FailsafeRoster.class));
    }

    Optional<String> leader() {
        return store.get("locks/" + ClusterStore.LEADER_LOCK).map(v -> v.text());
    }

    List<String> healthy(String role) {
        return store.healthyMembers(cluster + "-" + role).stream().map(m -> m.name()).toList();
    }

    /** Members whose server is writable right now (read over their sockets). */
    List<String> writable() {
        List<String> out = new ArrayList<>();
        for (AgentNode n : nodes.values()) {
            try (Connection c = n.rootConnection(ROOT_PASSWORD); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT @@read_only")) {
                if (rs.next() && rs.getInt(1) == 0) {
                    out.add(n.name);
                }
            } catch (SQLException e) {
                // not running: not writable
            }
        }
        return out;
    }

    /** CHECKSUM TABLE of app.t on a node. */
    long checksum(AgentNode node, String table) throws SQLException {
        try (Connection c = node.rootConnection(ROOT_PASSWORD); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("CHECKSUM TABLE " + table)) {
            rs.next();
            return rs.getLong(2);
        }
    }

    String logs() {
        StringBuilder sb = new StringBuilder();
        for (AgentNode n : nodes.values()) {
            sb.append("\n----- ").append(n.name).append(" -----\n").append(n.logTail(40));
        }
        return sb.toString();
    }

    @Override
    public void close() {
        for (AgentNode n : nodes.values()) {
            try {
                n.close();
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

    static Path tempRoot(String test) {
        try {
            Path p = Path.of("target", "it", test).toAbsolutePath();
            if (Files.exists(p)) {
                try (var walk = Files.walk(p)) {
                    walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
            Files.createDirectories(p);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
