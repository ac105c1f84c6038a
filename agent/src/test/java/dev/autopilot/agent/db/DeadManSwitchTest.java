package dev.autopilot.agent.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.autopilot.mysql.admin.ConnectionTarget;
import dev.autopilot.mysql.admin.DatabaseAdmin;
import dev.autopilot.mysql.auth.Credentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The dead-man switch on a real {@code mariadbd} (issue 11, defect 5): a writable server whose agent stops refreshing
 * its deadline turns itself read-only and drops its clients, by itself, shortly after the deadline; a refreshed,
 * disarmed or read-only server is left alone; nothing of it reaches the binlog. Subnet 127.0.35.
 */
class DeadManSwitchTest {
    /** lock.safetyMargin's default: the lease cannot expire in the store until this long after the agent's deadline. */
    private static final Duration SAFETY_MARGIN = Duration.ofSeconds(1);
    private static LocalDatabase db;

    @BeforeAll
    static void startServer() {
        db = RealServer.start("DeadManSwitchTest", "127.0.35.1");
        db.deadManSwitch().install();
    }

    @AfterAll
    static void stopServer() throws IOException {
        RealServer.stop(db);
    }

    @BeforeEach
    void writableAndDisarmed() {
        db.deadManSwitch().disarm();
        db.admin().readOnly(false);
    }

    @Test
    void aWritableServerWhoseAgentStoppedRefreshingTurnsReadOnlyAndDropsItsClients() throws Exception {
        String binlogBefore = db.admin().queryString("SELECT @@GLOBAL.gtid_binlog_pos").orElse("");
        try (Connection client = RealServer.app(db); Statement s = client.createStatement()) {
            client.setAutoCommit(false);
            s.execute("INSERT INTO t VALUES (1, 'in flight')");

            Instant deadline = Instant.now().plusMillis(300);
            db.deadManSwitch().arm(Duration.ofMillis(300)); // the agent's last refresh; then it is frozen

            await("read-only by the switch").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10))
                    .until(() -> db.admin().isReadOnly());
            Duration late = Duration.between(deadline, Instant.now());
            // Inside the safety margin (1 s by default): read-only before the lease could expire in the store.
            assertThat(late).isLessThan(SAFETY_MARGIN);
            assertThatThrownBy(client::commit).isInstanceOf(SQLException.class);
        }
        try (Connection client = RealServer.app(db); Statement s = client.createStatement()) {
            assertThatThrownBy(() -> s.execute("INSERT INTO t VALUES (2, 'after')")).hasMessageContaining("read-only");
        }
        assertThat(db.deadManSwitch().lastFiring()).hasValueSatisfying(f -> assertThat(f.sessionsKilled()).isGreaterThanOrEqualTo(1));
        // Installing, arming and firing left no trace in the binlog: nothing to replicate, no errant transaction.
        assertThat(db.admin().queryString("SELECT @@GLOBAL.gtid_binlog_pos").orElse("")).isEqualTo(binlogBefore);
    }

    @Test
    void runsOfTheEventThatOverlapFenceOnceAndReportTheSessionsKilled() throws Exception {
        // The event starts every second and a run lasts up to ~1 s, so two runs can both find the deadline passed: the
        // one that fenced second found nobody left to kill and overwrote the firing's count with 0, and one run counted a
        // session it had killed again in its last sweep. The agent logs that count for the operator: it must be the
        // number of clients cut off. Four runs at once, five times over, as a worst case.
        for (int round = 0; round < 5; round++) {
            db.admin().readOnly(false);
            try (Connection client = RealServer.app(db); Statement s = client.createStatement()) {
                client.setAutoCommit(false);
                s.execute("INSERT INTO t VALUES (" + (30 + round) + ", 'in flight')");
                db.deadManSwitch().arm(Duration.ofMillis(-1)); // the agent froze a while ago
                List<DatabaseAdmin> runners = IntStream.range(0, 4).mapToObj(i -> rootConnection()).toList();
                try {
                    List<CompletableFuture<Void>> runs = runners.stream().map(r -> CompletableFuture.runAsync(
                            () -> r.executeUnlogged(List.of("CALL " + DeadManSwitch.SCHEMA + ".dead_man_watch()")))).toList();
                    CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
                } finally {
                    runners.forEach(DatabaseAdmin::close);
                }
                assertThat(db.admin().isReadOnly()).isTrue();
                assertThat(db.deadManSwitch().lastFiring()).as("round %d", round)
                        .hasValueSatisfying(f -> assertThat(f.sessionsKilled()).isEqualTo(1));
            }
            db.deadManSwitch().disarm();
        }
    }

    @Test
    void aSessionHoldingTheSwitchsLockNameDoesNotKeepTheServerWritable() throws Exception {
        // The named lock only orders the event's runs; whoever holds it (a stuck run, a client that took the name) must
        // not stop the fencing. Held here by a spared account's session, which the fencing never kills.
        try (DatabaseAdmin holder = rootConnection()) {
            assertThat(holder.queryString("SELECT GET_LOCK('" + DeadManSwitch.SCHEMA + ".dead_man', 0)")).hasValue("1");
            Instant deadline = Instant.now().plusMillis(200);
            db.deadManSwitch().arm(Duration.ofMillis(200));

            await("read-only by the switch").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10))
                    .until(() -> db.admin().isReadOnly());
            assertThat(Duration.between(deadline, Instant.now())).isLessThan(SAFETY_MARGIN);
        }
    }

    @Test
    void aCommitParkedInTheSemiSyncWaitIsCutOffByTheSwitch() throws Exception {
        // Zero-loss mode with no replica acknowledging: the commit waits rpl_semi_sync_master_timeout (30 s here), holding
        // the lock read_only needs; the switch must kill it rather than wait, or the commit would be acknowledged later.
        db.admin().execute("SET GLOBAL rpl_semi_sync_master_timeout = 30000");
        db.admin().execute("SET GLOBAL rpl_semi_sync_master_enabled = ON");
        try (Connection client = RealServer.app(db)) {
            var commit = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try (Statement s = client.createStatement()) {
                    s.execute("INSERT INTO t VALUES (20, 'parked')");
                } catch (SQLException e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> db.admin().queryRows(
                    "SELECT ID FROM information_schema.PROCESSLIST WHERE STATE LIKE '%semi-sync%'").size() == 1);
            Instant deadline = Instant.now().plusMillis(200);
            db.deadManSwitch().arm(Duration.ofMillis(200));

            await("read-only by the switch").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10))
                    .until(() -> db.admin().isReadOnly());
            assertThat(Duration.between(deadline, Instant.now())).isLessThan(SAFETY_MARGIN);
            assertThatThrownBy(() -> commit.get(10, java.util.concurrent.TimeUnit.SECONDS)).hasCauseInstanceOf(SQLException.class);
        } finally {
            db.admin().execute("SET GLOBAL rpl_semi_sync_master_enabled = OFF");
        }
    }

    @Test
    void aSwitchRefreshedInTimeNeverFires() throws Exception {
        try (DeadManSwitch refreshed = ownSwitch()) {
            // A held lock, renewed all along: with the default lock settings 2.5-3 s remain at any moment.
            refreshed.keepArmedWhile(() -> Duration.ofMillis(2500));
            // Longer than one deadline: only the refreshes keep it writable.
            await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(8)).pollInterval(Duration.ofMillis(50))
                    .until(() -> !db.admin().isReadOnly());
        }
        try (Connection client = RealServer.app(db); Statement s = client.createStatement()) {
            s.execute("INSERT INTO t VALUES (10, 'still writable')");
        }
    }

    @Test
    void aDisarmedSwitchLeavesAWritableServerAlone() {
        db.deadManSwitch().arm(Duration.ofMillis(100));
        db.deadManSwitch().disarm();
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(50))
                .until(() -> !db.admin().isReadOnly());
    }

    @Test
    void aReadOnlyServerIsNeverTouched() throws Exception {
        var before = db.deadManSwitch().lastFiring();
        db.admin().readOnly(true);
        try (Connection client = RealServer.app(db)) {
            db.deadManSwitch().arm(Duration.ZERO); // expired at once, but the server is not writable
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(100))
                    .until(() -> client.isValid(1));
        }
        assertThat(db.deadManSwitch().lastFiring()).isEqualTo(before);
    }

    @Test
    void theRefresherDisarmsOnceTheLockIsGoneAndTheServerIsReadOnly() {
        AtomicReference<Duration> lease = new AtomicReference<>(Duration.ofMillis(600));
        try (DeadManSwitch refreshed = ownSwitch()) {
            refreshed.keepArmedWhile(lease::get);
            await().atMost(Duration.ofSeconds(5)).until(() -> expires() != null);
            db.fence("test: lease lost");
            lease.set(Duration.ZERO);
            await("disarmed").atMost(Duration.ofSeconds(5)).until(() -> expires() == null);
        }
    }

    @Test
    void aDeadlineThatCameWithACopyOfThePrimaryIsClearedOnAReplica() {
        db.admin().readOnly(true);
        db.deadManSwitch().arm(Duration.ofMillis(-5000)); // as a clone of an armed primary brings it: long expired
        try (DeadManSwitch refreshed = ownSwitch()) {
            refreshed.keepArmedWhile(() -> Duration.ZERO); // this member does not hold the lock
            await("disarmed").atMost(Duration.ofSeconds(5)).until(() -> expires() == null);
        }
        db.admin().readOnly(false); // promoted: opening writes must not trip over the copied deadline
        await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(50))
                .until(() -> !db.admin().isReadOnly());
    }

    @Test
    void aReplicasStaleDeadlineClearedJustAfterAPromotionArmedTheSwitchLeavesTheNewDeadline() {
        db.admin().readOnly(true);
        db.deadManSwitch().arm(Duration.ofMillis(-5000)); // copied with the data: what the once-a-second look sees
        String seen = expires();
        db.deadManSwitch().arm(Duration.ofSeconds(30)); // meanwhile this member won the lock and armed before opening writes
        String armed = expires();

        db.deadManSwitch().disarmIfStill(seen);
        assertThat(expires()).as("the promotion's deadline").isEqualTo(armed);
        db.deadManSwitch().disarmIfStill(armed);
        assertThat(expires()).isNull();
    }

    @Test
    void aMissingSwitchIsInstalledWhenArmed() {
        db.admin().executeUnlogged(java.util.List.of("DROP DATABASE " + DeadManSwitch.SCHEMA));
        db.deadManSwitch().arm(Duration.ofSeconds(30));
        assertThat(expires()).isNotNull();
        assertThat(db.admin().queryLong("SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = '"
                + DeadManSwitch.SCHEMA + "' AND STATUS = 'ENABLED'")).isEqualTo(1);
    }

    @Test
    void anUnchangedDeadlineIsRewrittenAboutOnceASecondAndAMovedOneAtOnce() throws Exception {
        // As the leader lock reports it between two renewals: the same deadline, less time left at each look.
        AtomicReference<Instant> deadline = new AtomicReference<>(Instant.now().plusSeconds(30));
        try (DeadManSwitch refreshed = ownSwitch()) {
            refreshed.keepArmedWhile(() -> Duration.between(Instant.now(), deadline.get()));
            await().atMost(Duration.ofSeconds(5)).until(() -> expires() != null);
            long before = globalStatus("Com_update");
            Thread.sleep(2000); // a measurement window of 20 refresh rounds, not a wait for a condition
            assertThat(globalStatus("Com_update") - before).as("UPDATEs in 2 s (one per round before)").isBetween(1L, 6L);

            // A renewal moves the deadline: written within a round or two, not at the next once-a-second rewrite.
            Instant renewed = deadline.get().plusMillis(500);
            deadline.set(renewed);
            await().atMost(Duration.ofMillis(900)).pollInterval(Duration.ofMillis(20))
                    .until(() -> Math.abs(Double.parseDouble(expires()) - renewed.toEpochMilli() / 1000.0) < 0.005);
            // Moved earlier (a shorter lease): written at once too, the switch must not fire later than the lease allows.
            Instant earlier = renewed.minusMillis(5);
            deadline.set(earlier);
            await().atMost(Duration.ofMillis(900)).pollInterval(Duration.ofMillis(20))
                    .until(() -> Math.abs(Double.parseDouble(expires()) - earlier.toEpochMilli() / 1000.0) < 0.002);
        }
    }

    @Test
    void aReplicasSwitchIsLookedAtOnceASecond() throws Exception {
        db.admin().readOnly(true);
        try (DeadManSwitch refreshed = ownSwitch()) {
            refreshed.keepArmedWhile(() -> Duration.ZERO);
            long before = globalStatus("Com_select");
            Thread.sleep(2000); // a measurement window of 20 refresh rounds, not a wait for a condition
            // One query a second (a deadline left? fired?), against two a second before and 11 before that.
            assertThat(globalStatus("Com_select") - before).as("SELECTs in 2 s").isBetween(1L, 3L);
        }
    }

    @Test
    void aReplicasRefresherSleepsASecondAtATime() throws Exception {
        db.admin().readOnly(true);
        try (DeadManSwitch refreshed = ownSwitch()) {
            refreshed.keepArmedWhile(() -> Duration.ZERO);
            await().atMost(Duration.ofSeconds(5)).until(() -> refresherSwitches() >= 0);
            long before = refresherSwitches();
            Thread.sleep(3000); // a measurement window, not a wait for a condition
            // Each look is a query (a few waits for the socket); a 100 ms sleep alone was 30 in 3 s.
            assertThat(refresherSwitches() - before).as("times the refresher blocked in 3 s").isLessThan(20);
        }
    }

    @Test
    void aPromotionWakesTheRefresherToFollowTheLeaseAtOnce() throws Exception {
        db.admin().readOnly(true);
        AtomicReference<Instant> deadline = new AtomicReference<>(null);
        try (DeadManSwitch refreshed = ownSwitch()) {
            refreshed.keepArmedWhile(() -> deadline.get() == null ? Duration.ZERO : Duration.between(Instant.now(), deadline.get()));
            await().atMost(Duration.ofSeconds(5)).until(() -> refresherSwitches() >= 0);
            Thread.sleep(100); // the refresher is parked for its second now: what a promotion finds
            // Won the lock: the promotion arms before opening writes, and the lease is renewed right after.
            deadline.set(Instant.now().plusSeconds(3));
            refreshed.arm(Duration.between(Instant.now(), deadline.get()));
            Instant renewed = deadline.get().plusMillis(500);
            deadline.set(renewed);
            // Within a few 100 ms rounds; a refresher left asleep would write it only ~900 ms from now.
            await("the renewed deadline written").atMost(Duration.ofMillis(600)).pollInterval(Duration.ofMillis(20))
                    .until(() -> Math.abs(Double.parseDouble(expires()) - renewed.toEpochMilli() / 1000.0) < 0.005);
        }
    }

    /**
     * Times the refresher thread has blocked so far (Linux: voluntary context switches of its task under /proc/self;
     * preemptions, which a loaded machine adds, are left out), or -1 if not running.
     */
    private static long refresherSwitches() throws IOException {
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    if (Files.readString(task.resolve("comm")).strip().equals("dead-man-db1")) {
                        return Files.readAllLines(task.resolve("status")).stream().filter(l -> l.startsWith("voluntary_ctxt_switches"))
                                .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", ""))).sum();
                    }
                } catch (NoSuchFileException e) {
                    // a thread that ended meanwhile
                }
            }
        }
        return -1;
    }

    private static long globalStatus(String name) {
        return Long.parseLong(db.admin().queryRows("SHOW GLOBAL STATUS LIKE '" + name + "'").getFirst().get("Value"));
    }

    private static String expires() {
        return db.admin().queryString("SELECT expires FROM " + DeadManSwitch.SCHEMA + ".dead_man WHERE id = 1").orElse(null);
    }

    private static DatabaseAdmin rootConnection() {
        return new DatabaseAdmin(ConnectionTarget.socket(db.server().settings().socket(), Credentials.of("root", "")));
    }

    private static DeadManSwitch ownSwitch() {
        return new DeadManSwitch("db1", rootConnection(), Set.of("root"));
    }
}
