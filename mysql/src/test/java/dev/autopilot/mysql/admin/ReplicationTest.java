package dev.autopilot.mysql.admin;

import dev.autopilot.mysql.auth.Credentials;
import dev.autopilot.mysql.flavor.ReplicationStatus;
import dev.autopilot.mysql.gtid.DomainServer;
import dev.autopilot.mysql.gtid.ErrantTransactions;
import dev.autopilot.mysql.gtid.GtidPosition;
import dev.autopilot.mysql.testing.ServerFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A real primary (127.0.4.10) and replica (127.0.4.11) for the whole class: accounts bootstrapped on the
 * primary and replicated, GTID replication, fencing, relay-log application, restore positioning,
 * semi-sync, errant transactions. Tests that change topology run last (ordered). About 15 s.
 */
@Timeout(180)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReplicationTest {

    static final Duration WAIT = Duration.ofSeconds(30);
    static final ClusterAccounts ACCOUNTS = new ClusterAccounts(Credentials.of("root", "root-pw"),
            Credentials.of("repl", "repl-pw"), Credentials.of("monitor", "monitor-pw"), Credentials.of("backup", "backup-pw"),
            Optional.of(new ClusterAccounts.Application(Credentials.of("app", "app-pw"), "appdb")));

    static ServerFixture primary;
    static ServerFixture replica;
    static DatabaseAdmin p;
    static DatabaseAdmin r;

    @BeforeAll
    static void startPair() {
        primary = ServerFixture.start("repl-primary", 10);
        replica = ServerFixture.start("repl-replica", 11);
        p = primary.rootAdmin();
        new UserBootstrap().apply(p, ACCOUNTS, true);
        primary.rootPassword(ACCOUNTS.root());
        p.readOnly(false);
        p.execute("CREATE TABLE appdb.t (id INT PRIMARY KEY, v VARCHAR(20))");

        try (DatabaseAdmin fresh = replica.rootAdmin()) {
            fresh.changePrimary(primary.host(), primary.port(), ACCOUNTS.replication());
            fresh.startReplica();
            assertThat(fresh.waitForGtid(p.position(), WAIT)).isTrue();
        }
        replica.rootPassword(ACCOUNTS.root()); // replicated from the primary's bootstrap
        r = replica.rootAdmin();
    }

    @AfterAll
    static void stopPair() {
        for (AutoCloseable c : new AutoCloseable[] {p, r, primary, replica}) {
            try {
                if (c != null) c.close();
            } catch (Exception ignored) {
                // best effort: the fixtures kill the servers regardless
            }
        }
    }

    @Test
    @Order(1)
    void applicationWritesOnPrimaryReachReplicaAndPositionsAgree() {
        try (DatabaseAdmin app = primary.admin(ACCOUNTS.application().orElseThrow().credentials())) {
            app.execute("INSERT INTO appdb.t VALUES (1, 'one'), (2, 'two')");
        }
        GtidPosition primaryPos = p.gtidPosition();
        assertThat(r.waitForGtid(primaryPos, WAIT)).isTrue();
        assertThat(r.gtidPosition().includes(primaryPos)).isTrue();
        assertThat(r.gtidSlavePosition()).isEqualTo(primaryPos.perDomain());
        assertThat(primaryPos.gtids()).allSatisfy(g -> assertThat(g.serverId()).isEqualTo(primary.settings().identity().serverId()));
        assertThat(r.queryLong("SELECT COUNT(*) FROM appdb.t")).isEqualTo(2);
        assertThat(r.waitForGtid(GtidPosition.parse("0-1-999999"), Duration.ofMillis(200))).isFalse();
    }

    @Test
    @Order(2)
    void globalStateReadsInOneStatementWhatTheSingleQueriesRead() {
        for (DatabaseAdmin a : List.of(p, r)) {
            DatabaseAdmin.GlobalState g = a.globalState();
            assertThat(g.readOnly()).isEqualTo(a.isReadOnly());
            assertThat(g.current()).isEqualTo(a.gtidPosition());
            assertThat(g.binlogState()).isEqualTo(a.gtidBinlogState());
            assertThat(g.slavePosition()).isEqualTo(a.gtidSlavePosition());
        }
        assertThat(r.globalState().slavePosition()).isEqualTo(p.gtidPosition().perDomain());
    }

    @Test
    @Order(2)
    void replicationStatusShowsRunningThreadsAndSource() {
        ReplicationStatus s = r.replicationStatus();
        assertThat(s.configured()).isTrue();
        assertThat(s.ioRunning()).isTrue();
        assertThat(s.sqlRunning()).isTrue();
        assertThat(s.sourceHost()).isEqualTo(primary.host());
        assertThat(s.sourcePort()).isEqualTo(3306);
        assertThat(s.lastSqlErrno()).isZero();
        assertThat(p.replicationStatus().configured()).isFalse();
    }

    @Test
    @Order(3)
    void readOnlyFencesApplicationAccountAndKillSparesReplication() {
        try (DatabaseAdmin app = primary.admin(ACCOUNTS.application().orElseThrow().credentials())) {
            app.execute("INSERT INTO appdb.t VALUES (10, 'before')");
            p.readOnly(true);
            try {
                assertThat(p.isReadOnly()).isTrue();
                assertThatThrownBy(() -> app.execute("INSERT INTO appdb.t VALUES (11, 'fenced')"))
                        .isInstanceOf(DatabaseException.class)
                        .satisfies(e -> assertThat(((DatabaseException) e).errorCode()).isEqualTo(1290));
                assertThat(countSessions("app")).isEqualTo(1);

                assertThat(p.killClientConnections()).isGreaterThanOrEqualTo(1);

                await().atMost(WAIT).until(() -> countSessions("app") == 0); // a killed session leaves the list when its thread wakes
                assertThat(p.queryLong("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'")).isEqualTo(1);
                assertThat(r.replicationStatus().ioRunning()).isTrue();
            } finally {
                p.readOnly(false);
            }
        }
    }

    @Test
    @Order(3)
    void fenceStopsEvenSuperAccountsOnMariaDb1011() {
        p.execute("CREATE USER IF NOT EXISTS 'ops'@'%' IDENTIFIED BY 'ops-pw'");
        p.execute("GRANT SUPER, INSERT ON *.* TO 'ops'@'%'");
        try (DatabaseAdmin ops = primary.admin(Credentials.of("ops", "ops-pw"))) {
            ops.execute("INSERT INTO appdb.t VALUES (12, 'super')");
            try {
                assertThat(p.fence(Set.of())).isGreaterThanOrEqualTo(1);
                // Since 10.11 SUPER no longer implies READ ONLY ADMIN: read_only holds for it too.
                assertThatThrownBy(() -> ops.execute("INSERT INTO appdb.t VALUES (13, 'fenced')"))
                        .isInstanceOf(DatabaseException.class)
                        .satisfies(e -> assertThat(((DatabaseException) e).errorCode()).isEqualTo(1290));
            } finally {
                p.readOnly(false);
            }
        }
    }

    private static long countSessions(String user) {
        return p.queryLong("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER='" + user + "'");
    }

    @Test
    @Order(4)
    void monitorAccountReadsReplicationStatusButNoData() {
        try (DatabaseAdmin monitor = replica.admin(ACCOUNTS.monitor())) {
            assertThat(monitor.replicationStatus().sqlRunning()).isTrue();
            assertThat(monitor.ping()).isTrue();
            assertThatThrownBy(() -> monitor.queryLong("SELECT COUNT(*) FROM appdb.t"))
                    .isInstanceOf(DatabaseException.class)
                    .satisfies(e -> assertThat(((DatabaseException) e).errorCode()).isEqualTo(1142));
        }
    }

    @Test
    @Order(5)
    void accountsHaveLeastPrivilege() {
        assertThat(grants("app")).noneMatch(g -> g.contains("SUPER") || g.contains("READ_ONLY ADMIN") || g.contains("CONNECTION ADMIN"))
                .anyMatch(g -> g.contains("ALL PRIVILEGES ON `appdb`.*"));
        assertThat(grants("repl")).anyMatch(g -> g.startsWith("GRANT REPLICATION SLAVE ON *.*"));
        assertThat(grants("monitor")).anyMatch(g -> g.contains("BINLOG MONITOR") && g.contains("SLAVE MONITOR"));
        assertThat(grants("backup")).anyMatch(g -> g.contains("RELOAD") && g.contains("PROCESS") && g.contains("LOCK TABLES")
                && g.contains("BINLOG MONITOR"));
        assertThat(p.queryLong("SELECT COUNT(*) FROM mysql.user WHERE User='' OR (User='root' AND Host<>'localhost')")).isZero();
    }

    private static java.util.List<String> grants(String user) {
        return p.queryRows("SHOW GRANTS FOR '" + user + "'@'%'").stream().map(m -> m.values().iterator().next()).toList();
    }

    @Test
    @Order(6)
    void bootstrapRunsAgainWithoutErrorAndReplicas() {
        new UserBootstrap().apply(p, ACCOUNTS, true);
        assertThat(r.waitForGtid(p.position(), WAIT)).isTrue();
        assertThat(r.replicationStatus().sqlRunning()).isTrue();
        try (DatabaseAdmin repl = replica.admin(ACCOUNTS.replication())) {
            assertThat(repl.ping()).isTrue(); // the account exists on the replica too
        }
    }

    @Test
    @Order(6)
    void bootstrapOnANonPrimaryWritesNothingToItsBinlog() {
        GtidPosition before = r.gtidBinlogState();
        new UserBootstrap().apply(r, ACCOUNTS, false);
        assertThat(r.gtidBinlogState()).isEqualTo(before);
        assertThat(r.queryLong("SELECT @@session.sql_log_bin")).isEqualTo(1); // the admin's later statements are binlogged again
    }

    @Test
    @Order(7)
    void promotionWaitsForTheWholeRelayLog() {
        GtidPosition target;
        try (DatabaseAdmin locker = replica.rootAdmin()) {
            // Hold the applier back with a table lock, so the relay log has work left in it.
            locker.execute("LOCK TABLES appdb.t WRITE");
            p.execute("INSERT INTO appdb.t VALUES (20, 'relay'), (21, 'relay')");
            p.execute("INSERT INTO appdb.t VALUES (22, 'relay')");
            target = p.gtidPosition();
            await().atMost(WAIT).until(() -> GtidPosition.parse(r.replicationStatus().receivedPosition()).includes(target));

            assertThat(r.waitForRelayLogApplied(Duration.ofMillis(300))).isFalse();
            // Promotion: stop fetching (the primary is gone), keep applying. Stopping both threads would
            // discard the relay log in GTID mode, so only the receiver stops.
            r.stopReceiver();
            assertThat(r.gtidSlavePosition().includes(target)).isFalse();
            locker.execute("UNLOCK TABLES");
        }
        assertThat(r.waitForRelayLogApplied(WAIT)).isTrue();
        assertThat(r.gtidSlavePosition().includes(target)).isTrue();
        assertThat(r.queryLong("SELECT COUNT(*) FROM appdb.t WHERE v='relay'")).isEqualTo(3);
        r.startReplica();
        await().atMost(WAIT).until(() -> r.replicationStatus().ioRunning());
    }

    @Test
    @Order(8)
    void semiSyncPrimaryIsAcknowledgedByReplica() {
        try {
            p.semiSyncPrimary(true, Duration.ofSeconds(5));
            r.semiSyncReplica(true);
            await().atMost(WAIT).until(() -> status(p, "Rpl_semi_sync_master_clients") == 1);
            long acked = status(p, "Rpl_semi_sync_master_yes_tx");
            p.execute("INSERT INTO appdb.t VALUES (30, 'semi-sync')");
            assertThat(status(p, "Rpl_semi_sync_master_yes_tx")).isEqualTo(acked + 1);
            assertThat(p.queryString("SELECT @@rpl_semi_sync_master_wait_point")).contains("AFTER_SYNC");
        } finally {
            p.semiSyncPrimary(false, Duration.ofSeconds(1));
            r.semiSyncReplica(false);
        }
    }

    private static long status(DatabaseAdmin admin, String name) {
        return Long.parseLong(admin.queryRows("SHOW GLOBAL STATUS LIKE '" + name + "'").getFirst().get("Value"));
    }

    @Test
    @Order(9)
    void restoredDataResumesFromTheDeclaredGtidSlavePos() {
        r.stopReplica();
        p.execute("CREATE DATABASE restored");
        p.execute("CREATE TABLE restored.t (id INT PRIMARY KEY)");
        p.execute("INSERT INTO restored.t VALUES (1)");
        GtidPosition snapshotPosition = p.gtidPosition();
        // What a restore does: the data arrives without passing through replication...
        r.execute("SET SESSION sql_log_bin=0");
        r.execute("CREATE DATABASE restored");
        r.execute("CREATE TABLE restored.t (id INT PRIMARY KEY)");
        r.execute("INSERT INTO restored.t VALUES (1)");
        r.execute("SET SESSION sql_log_bin=1");
        // ...and the position says it is there, so replication does not apply it again.
        r.setGtidSlavePos(snapshotPosition);
        assertThat(r.gtidSlavePosition()).isEqualTo(snapshotPosition.perDomain());

        r.startReplica();
        p.execute("INSERT INTO restored.t VALUES (2)");
        assertThat(r.waitForGtid(p.position(), WAIT)).isTrue();
        assertThat(r.replicationStatus().lastSqlErrno()).isZero();
        assertThat(r.queryLong("SELECT COUNT(*) FROM restored.t")).isEqualTo(2);
    }

    @Test
    @Order(10)
    void errantWriteOnReplicaIsReportedAgainstThePrimary() {
        assertThat(ErrantTransactions.find(r.gtidBinlogState(), p.knownGtids())).isEmpty();
        // A write straight on the replica (root bypasses read_only), in its own domain so replication continues.
        r.execute("SET SESSION gtid_domain_id=7");
        r.execute("CREATE DATABASE errant");
        r.execute("SET SESSION gtid_domain_id=0");

        var errant = ErrantTransactions.find(r.gtidBinlogState(), p.knownGtids());
        assertThat(errant).singleElement().satisfies(e -> {
            assertThat(e.origin()).isEqualTo(new DomainServer(7, replica.settings().identity().serverId()));
            assertThat(e.primaryHasOrigin()).isFalse();
        });
        assertThat(r.gtidBinlogState().isSubsetOf(p.knownGtids())).isFalse();
    }

    @Test
    @Order(11)
    void resetReplicaForgetsTheSource() {
        r.resetReplica();
        assertThat(r.replicationStatus().configured()).isFalse();
        assertThat(r.waitForRelayLogApplied(Duration.ofSeconds(1))).isTrue();
    }
}
