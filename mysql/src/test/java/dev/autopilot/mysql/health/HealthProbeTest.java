package dev.autopilot.mysql.health;

import dev.autopilot.mysql.admin.ClusterAccounts;
import dev.autopilot.mysql.admin.ConnectionTarget;
import dev.autopilot.mysql.admin.DatabaseAdmin;
import dev.autopilot.mysql.admin.DatabaseException;
import dev.autopilot.mysql.admin.UserBootstrap;
import dev.autopilot.mysql.auth.Credentials;
import dev.autopilot.mysql.testing.ServerFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A real primary (127.0.4.20) and replica (127.0.4.21), probed with the monitor account as the agent
 * would. The broken-replica scenario breaks replication for good, so it runs last. About 15 s.
 */
@Timeout(180)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HealthProbeTest {

    static final Duration WAIT = Duration.ofSeconds(30);
    static final Duration MAX_LAG = Duration.ofSeconds(30);
    static final ClusterAccounts ACCOUNTS = new ClusterAccounts(Credentials.of("root", "r00t"), Credentials.of("repl", "r3pl"),
            Credentials.of("monitor", "m0n"), Credentials.of("backup", "b4ck"), Optional.empty());

    static ServerFixture primary;
    static ServerFixture replica;
    static DatabaseAdmin primaryRoot;
    static DatabaseAdmin replicaRoot;
    static DatabaseAdmin primaryMonitor;
    static DatabaseAdmin replicaMonitor;

    @BeforeAll
    static void startPair() {
        primary = ServerFixture.start("health-primary", 20);
        replica = ServerFixture.start("health-replica", 21);
        primaryRoot = primary.rootAdmin();
        new UserBootstrap().apply(primaryRoot, ACCOUNTS, true);
        primary.rootPassword(ACCOUNTS.root());
        primaryRoot.readOnly(false);
        primaryRoot.execute("CREATE DATABASE shop");
        primaryRoot.execute("CREATE TABLE shop.orders (id INT PRIMARY KEY)");
        try (DatabaseAdmin fresh = replica.rootAdmin()) {
            fresh.changePrimary(primary.host(), primary.port(), ACCOUNTS.replication());
            fresh.startReplica();
            assertThat(fresh.waitForGtid(primaryRoot.position(), WAIT)).isTrue();
        }
        replica.rootPassword(ACCOUNTS.root());
        replicaRoot = replica.rootAdmin();
        primaryMonitor = primary.admin(ACCOUNTS.monitor());
        replicaMonitor = new DatabaseAdmin(ConnectionTarget.tcp(replica.host(), replica.port(), ACCOUNTS.monitor())
                .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(1)));
    }

    @AfterAll
    static void stopPair() {
        for (AutoCloseable c : new AutoCloseable[] {primaryRoot, replicaRoot, primaryMonitor, replicaMonitor, primary, replica}) {
            try {
                if (c != null) c.close();
            } catch (Exception ignored) {
                // best effort: the fixtures kill the servers regardless
            }
        }
    }

    @Test
    @Order(1)
    void writablePrimaryIsHealthy() {
        HealthReport report = new HealthProbe(primaryMonitor, MAX_LAG).probe(ExpectedRole.PRIMARY);
        assertThat(report.healthy()).as(report.summary()).isTrue();
        assertThat(report.summary()).isEqualTo("healthy primary");
    }

    @Test
    @Order(2)
    void readOnlyPrimaryIsUnhealthy() {
        primaryRoot.readOnly(true);
        try {
            HealthReport report = new HealthProbe(primaryMonitor, MAX_LAG).probe(ExpectedRole.PRIMARY);
            assertThat(report.healthy()).isFalse();
            assertThat(report.summary()).contains("read-only");
        } finally {
            primaryRoot.readOnly(false);
        }
    }

    @Test
    @Order(3)
    void runningReplicaIsHealthyAndPrimaryIsNotAReplica() {
        HealthReport report = new HealthProbe(replicaMonitor, MAX_LAG).probe(ExpectedRole.REPLICA);
        assertThat(report.healthy()).as(report.summary()).isTrue();
        assertThat(report.lag()).contains(Duration.ZERO);
        assertThat(new HealthProbe(primaryMonitor, MAX_LAG).probe(ExpectedRole.REPLICA).summary()).contains("replicates from nobody");
    }

    @Test
    @Order(4)
    void replicaLaggingBeyondTheLimitIsUnhealthy() {
        try (DatabaseAdmin locker = replica.rootAdmin()) {
            locker.execute("LOCK TABLES shop.orders WRITE"); // the applier waits on this event...
            primaryRoot.execute("SET TIMESTAMP=UNIX_TIMESTAMP()-120"); // ...which was written two minutes "ago"
            primaryRoot.execute("INSERT INTO shop.orders VALUES (1)");
            primaryRoot.execute("SET TIMESTAMP=DEFAULT");
            HealthProbe probe = new HealthProbe(replicaMonitor, MAX_LAG);
            await().atMost(WAIT).until(() -> probe.probe(ExpectedRole.REPLICA).summary().contains("more than the limit of 30 s"));
            assertThat(probe.probe(ExpectedRole.REPLICA).lag()).hasValueSatisfying(l -> assertThat(l).isGreaterThan(MAX_LAG));
            locker.execute("UNLOCK TABLES");
            await().atMost(WAIT).until(() -> probe.probe(ExpectedRole.REPLICA).healthy());
        }
    }

    @Test
    @Order(5)
    void probeOfAFrozenServerReturnsWithinItsTimeouts() {
        replica.server().pause(true);
        try {
            HealthReport report = new HealthProbe(replicaMonitor, MAX_LAG).probe(ExpectedRole.REPLICA);
            assertThat(report.healthy()).isFalse();
            assertThat(report.summary()).contains("does not answer SELECT 1");
            assertThat(report.took()).isLessThan(Duration.ofSeconds(6)); // 1 s query timeout + 1 s reconnect timeout, with slack
        } finally {
            replica.server().pause(false);
        }
        await().atMost(WAIT).until(() -> new HealthProbe(replicaMonitor, MAX_LAG).probe(ExpectedRole.REPLICA).healthy());
    }

    @Test
    @Order(6)
    void replicaWithBrokenSqlThreadIsUnhealthyWithTheErrorText() {
        replicaRoot.execute("SET SESSION sql_log_bin=0");
        replicaRoot.execute("INSERT INTO shop.orders VALUES (100)"); // root bypasses read_only: a stray local row
        replicaRoot.execute("SET SESSION sql_log_bin=1");
        primaryRoot.execute("INSERT INTO shop.orders VALUES (100)"); // the same key arrives by replication

        HealthProbe probe = new HealthProbe(replicaMonitor, MAX_LAG);
        await().atMost(WAIT).until(() -> !probe.probe(ExpectedRole.REPLICA).healthy());
        HealthReport report = probe.probe(ExpectedRole.REPLICA);
        assertThat(report.summary()).contains("SQL thread stopped with error 1062").contains("Duplicate entry '100'");
        assertThat(probe.probe(ExpectedRole.ANY).healthy()).isTrue();
        assertThatThrownBy(() -> replicaRoot.waitForRelayLogApplied(Duration.ofSeconds(1)))
                .isInstanceOf(DatabaseException.class).hasMessageContaining("error 1062");
    }
}
