package dev.autopilot.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.autopilot.agent.cluster.ClusterStore;
import dev.autopilot.agent.lifecycle.CopyInProgress;
import dev.autopilot.backup.clone.CloneToken;
import dev.autopilot.backup.clone.LiveCloneSource;
import dev.autopilot.backup.restore.ExistingData;
import dev.autopilot.backup.restore.Restorer;
import dev.autopilot.mysql.admin.ConnectionTarget;
import dev.autopilot.mysql.admin.DatabaseAdmin;
import dev.autopilot.mysql.auth.Credentials;
import dev.autopilot.mysql.auth.Secret;
import dev.autopilot.mysql.config.MemberIdentity;
import dev.autopilot.mysql.config.ServerSettings;
import dev.autopilot.mysql.server.LocalServer;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An agent that stops (crash, SIGKILL, host loss) in the middle of giving its member a data directory comes back and
 * finishes the job, instead of starting what it left as if it were the member's own data. Each test builds the exact
 * state such a stop leaves, with the same tools the agent uses, then starts the agent on it.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class InterruptedStartTest {

    /**
     * Stopped after a live clone landed, before its {@code gtid_slave_pos} was set: the next start applies the position
     * from the copy's binlog info. Replicating from an empty position instead would replay the primary's whole binlog
     * onto data that already holds it (error 1050 on the first CREATE TABLE).
     */
    @Test
    void aCopyWhosePositionWasNeverAppliedIsPositionedAtTheNextStart() throws Exception {
        try (TestCluster cluster = new TestCluster("unpositioned", "127.0.23", TestCluster.tempRoot("InterruptedStartTest-copy"))) {
            cluster.assemble(2);
            AgentNode primary = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(10));
            AgentNode replica = cluster.nodes().stream().filter(n -> n != primary).findFirst().orElseThrow();
            Scenarios.execute(primary, "CREATE TABLE before_copy (id BIGINT PRIMARY KEY)", "INSERT INTO before_copy VALUES (1), (2)");
            assertThat(replica.stop(Duration.ofSeconds(60))).isZero();
            Scenarios.execute(primary, "INSERT INTO before_copy VALUES (3)"); // in the copy, not in the replica's own history

            // What provisioning leaves when the agent dies right after the copy is moved into place.
            Path agentDir = replica.home.resolve("data");
            Files.writeString(agentDir.resolve(CopyInProgress.FILE_NAME), "left by a provisioning that was interrupted\n");
            Restorer.withDefaults().restore(LiveCloneSource.of(new InetSocketAddress(primary.address, 4444),
                    CloneToken.of(Secret.of(TestCluster.CLUSTER_TOKEN))), agentDir.resolve("mysql"), ExistingData.DISCARD);
            // As binlog expiry would: the primary keeps only what follows the copy. Replaying from an empty position
            // (or any position before the copy) then fails; MariaDB's idempotent DDL replay would otherwise hide it.
            purgeBinlogsBeforeNow(primary);
            Scenarios.execute(primary, "CREATE TABLE after_copy (id BIGINT PRIMARY KEY)", "INSERT INTO after_copy VALUES (3)",
                    "INSERT INTO before_copy VALUES (4)");

            replica.start();
            Scenarios.awaitReplica(cluster, replica.name, Duration.ofSeconds(60));
            long before = cluster.checksum(primary, "app.before_copy");
            long after = cluster.checksum(primary, "app.after_copy");
            await(replica.name + " holds every row").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .ignoreExceptions().untilAsserted(() -> {
                        assertThat(cluster.checksum(replica, "app.before_copy")).as(replica.logTail(30)).isEqualTo(before);
                        assertThat(cluster.checksum(replica, "app.after_copy")).isEqualTo(after);
                    });
            assertThat(Scenarios.ids(replica, "app.before_copy")).containsExactly(1L, 2L, 3L, 4L);
            assertThat(replicationErrors(replica)).as("replication errors on " + replica.name).isEqualTo("0 0");
            assertThat(replica.logContains("whose replication position was never applied")).isTrue();
            assertThat(agentDir.resolve(CopyInProgress.FILE_NAME)).as("the marker goes once the position is applied").doesNotExist();
        }
    }

    /**
     * Stopped after the first member created its data directory, before it created the accounts and joined the roster:
     * root still has a fresh install's empty password. The next start sets that directory aside and bootstraps again.
     */
    @Test
    void aBootstrapThatDiedBeforeItsAccountsWereCreatedStartsOver() throws Exception {
        try (TestCluster cluster = new TestCluster("unfinished", "127.0.24", TestCluster.tempRoot("InterruptedStartTest-bootstrap"))) {
            AgentNode first = cluster.add(1);
            Path agentDir = first.home.resolve("data");
            assertThat(new ClusterStore(cluster.store).claimInitialize(first.name)).isTrue();
            ServerSettings fresh = ServerSettings.defaults(MemberIdentity.random(), agentDir.resolve("mysql"), agentDir.resolve("run"),
                    first.address, 3306);
            assertThat(new LocalServer(fresh).initialise(Duration.ofMinutes(2))).isTrue();

            first.start();
            Scenarios.awaitPrimary(cluster, Duration.ofSeconds(90));
            try (Connection c = first.rootConnection(TestCluster.ROOT_PASSWORD)) {
                assertThat(c.isValid(2)).as("root has the configured password").isTrue();
            }
            Scenarios.execute(first, "CREATE TABLE t (id BIGINT PRIMARY KEY)", "INSERT INTO t VALUES (1)");
            assertThat(first.logContains("that did not finish")).isTrue();
            try (Stream<Path> siblings = Files.list(agentDir)) {
                assertThat(siblings.map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith("mysql.unfinished-bootstrap-"));
            }
        }
    }

    /**
     * Killed (kill -9, outside a container) after the first member's server started on its fresh data directory and
     * after root got the cluster's password, before the other accounts were created: the server runs on, holding the
     * port. The next start fences and stops it, sets the unfinished bootstrap aside and bootstraps again. Before, the
     * agent moved the data directory from under the running server and then refused to start: port in use.
     */
    @Test
    void aBootstrapKilledHalfwayThroughItsAccountsIsRedoneThoughItsServerStillRuns() throws Exception {
        try (TestCluster cluster = new TestCluster("unfinishedrunning", "127.0.32", TestCluster.tempRoot("InterruptedStartTest-running"))) {
            AgentNode first = cluster.add(1);
            Path agentDir = first.home.resolve("data");
            assertThat(new ClusterStore(cluster.store).claimInitialize(first.name)).isTrue();
            ServerSettings fresh = ServerSettings.defaults(MemberIdentity.random(), agentDir.resolve("mysql"), agentDir.resolve("run"),
                    first.address, 3306);
            try (LocalServer leftRunning = new LocalServer(fresh)) {
                assertThat(leftRunning.initialise(Duration.ofMinutes(2))).isTrue();
                leftRunning.start(Duration.ofMinutes(2));
                try (DatabaseAdmin root = new DatabaseAdmin(ConnectionTarget.socket(fresh.socket(), new Credentials("root", Secret.of(""))))) {
                    root.execute("ALTER USER 'root'@'localhost' IDENTIFIED BY '" + TestCluster.ROOT_PASSWORD + "'"); // the first account
                }

                first.startRetryingStoreTimeouts(Duration.ofMinutes(2));
                Scenarios.awaitPrimary(cluster, Duration.ofSeconds(120));
                assertThat(leftRunning.isRunning()).as("the server left running was stopped").isFalse();
            }
            Scenarios.execute(first, "CREATE TABLE t (id BIGINT PRIMARY KEY)", "INSERT INTO t VALUES (1)"); // the app account exists
            assertThat(first.logContains("left behind by an agent")).isTrue();
            assertThat(first.logContains("that did not finish")).isTrue();
            assertThat(first.mariadbd()).as("the server runs under the agent").isPresent();
        }
    }
    /**
     * Killed after the bootstrap took the leader lock, before it joined the roster (a node crash: the server died too),
     * and started again before the lock's lease expired: the lock is still held under the member's own name. The next
     * start redoes the bootstrap and takes the lock once the dead run's lease has expired. Before, it refused to start
     * ("held by db1; another cluster may use the same name").
     */
    @Test
    void aBootstrapKilledAfterTakingTheLockIsRedoneOnceTheDeadRunsLeaseExpires() throws Exception {
        try (TestCluster cluster = new TestCluster("unfinishedlock", "127.0.32", TestCluster.tempRoot("InterruptedStartTest-lock"))) {
            AgentNode first = cluster.add(1);
            Path agentDir = first.home.resolve("data");
            assertThat(new ClusterStore(cluster.store).claimInitialize(first.name)).isTrue();
            ServerSettings fresh = ServerSettings.defaults(MemberIdentity.random(), agentDir.resolve("mysql"), agentDir.resolve("run"),
                    first.address, 3306);
            assertThat(new LocalServer(fresh).initialise(Duration.ofMinutes(2))).isTrue();
            // The dead run's lock: its lease is kept alive until the restarted agent has tried the lock, as a lease
            // still within its TTL would be, then left to expire (4 s, the default lock.ttl).
            // "lease 694d8a1b2c3d4e5f granted with TTL(4s)"
            String lease = etcdctl(cluster, "lease", "grant", "4").split(" ")[1];
            etcdctl(cluster, "put", "--lease=" + lease, "/autopilot/" + cluster.cluster + "/locks/" + ClusterStore.LEADER_LOCK, first.name);
            Process keepAlive = new ProcessBuilder(etcdctlCommand(cluster, "lease", "keep-alive", lease))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try {
                first.startRetryingStoreTimeouts(Duration.ofMinutes(2));
                await("the restarted agent found the lock held (or gave up)").atMost(Duration.ofSeconds(120))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() -> first.logContains("still held under this member's name") || !first.isRunning());
            } finally {
                keepAlive.destroyForcibly().waitFor(); // no more keep-alives: the dead run's lease lapses within its TTL
            }

            Scenarios.awaitPrimary(cluster, Duration.ofSeconds(60));
            assertThat(cluster.leader()).contains(first.name);
            Scenarios.execute(first, "CREATE TABLE t (id BIGINT PRIMARY KEY)", "INSERT INTO t VALUES (1)");
            assertThat(first.logContains("that did not finish")).isTrue();
        }
    }

    private static List<String> etcdctlCommand(TestCluster cluster, String... args) {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/etcdctl", "--endpoints", cluster.etcd.endpointsCsv()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Runs etcdctl (the v3 API, Debian's default) against the cluster's etcd and returns what it printed. */
    private static String etcdctl(TestCluster cluster, String... args) throws Exception {
        Process p = new ProcessBuilder(etcdctlCommand(cluster, args)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        assertThat(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0).as("etcdctl " + String.join(" ", args) + ": " + out).isTrue();
        return out;
    }

    private static void purgeBinlogsBeforeNow(AgentNode primary) throws SQLException {
        try (Connection c = primary.rootConnection(TestCluster.ROOT_PASSWORD); Statement s = c.createStatement()) {
            s.execute("FLUSH BINARY LOGS");
            try (ResultSet rs = s.executeQuery("SHOW MASTER STATUS")) {
                assertThat(rs.next()).isTrue();
                s.execute("PURGE BINARY LOGS TO '" + rs.getString("File") + "'");
            }
        }
    }

    /** Last SQL and IO error numbers of the replica's replication. */
    private static String replicationErrors(AgentNode node) throws SQLException {
        try (Connection c = node.rootConnection(TestCluster.ROOT_PASSWORD); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SHOW SLAVE STATUS")) {
            assertThat(rs.next()).as(node.name + " replicates").isTrue();
            return rs.getInt("Last_SQL_Errno") + " " + rs.getInt("Last_IO_Errno") + (rs.getInt("Last_SQL_Errno") == 0 ? ""
                    : " (" + rs.getString("Last_SQL_Error") + ")");
        }
    }

}
