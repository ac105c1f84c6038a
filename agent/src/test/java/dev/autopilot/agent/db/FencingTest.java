package dev.autopilot.agent.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Fencing of a real {@code mariadbd} (issue 11, defects 4 and 3): bounded by half the safety margin, never blocked by
 * a commit parked in the semi-sync wait or a long transaction, escalating to SIGKILL when the server is stalled, and
 * never reporting a fence that did not happen. Subnet 127.0.34.
 */
class FencingTest {
    private static final String ADDRESS = "127.0.34.1";
    private static final int PORT = RealServer.PORT;
    /** lock.safetyMargin is 1 s by default: the fence must be done within half of it. */
    private static final Duration BOUND = Duration.ofMillis(500);
    /** What the test tolerates on top of the bound on a loaded machine (thread start, logging). */
    private static final Duration SLACK = Duration.ofMillis(700);

    private static LocalDatabase db;

    @BeforeAll
    static void startServer() {
        db = RealServer.start("FencingTest", ADDRESS);
        assertThat(db.server().settings().port()).isEqualTo(PORT);
        db.prepareFencing();
    }

    @AfterAll
    static void stopServer() throws IOException {
        RealServer.stop(db);
    }

    @BeforeEach
    void writableAndRunning() {
        if (!db.server().isRunning()) {
            db.server().start(Duration.ofMinutes(2)); // a test before this one killed it
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> db.admin().ping());
        db.admin().execute("SET GLOBAL rpl_semi_sync_master_enabled = OFF");
        db.admin().readOnly(false);
    }

    @Test
    void aCommitParkedInTheSemiSyncWaitDoesNotHoldUpTheFence() throws Exception {
        // Zero-loss mode with no replica to acknowledge: every commit waits rpl_semi_sync_master_timeout (30 s here).
        db.admin().execute("SET GLOBAL rpl_semi_sync_master_timeout = 30000");
        db.admin().execute("SET GLOBAL rpl_semi_sync_master_enabled = ON");
        try (Connection client = app()) {
            CompletableFuture<Void> commit = CompletableFuture.runAsync(() -> execute(client, "INSERT INTO t VALUES (1, 'parked')"));
            await().atMost(Duration.ofSeconds(10)).until(() -> db.admin().queryRows(
                    "SELECT ID FROM information_schema.PROCESSLIST WHERE STATE LIKE '%semi-sync%'").size() == 1);

            FenceResult result = db.fence("test: lease lost");

            assertThat(result.kind()).as(result.toString()).isEqualTo(FenceResult.Kind.READ_ONLY);
            assertThat(result.took()).isLessThan(BOUND.plus(SLACK));
            assertThat(result.sessionsKilled()).isGreaterThanOrEqualTo(1);
            assertThat(db.admin().isReadOnly()).isTrue();
            // The parked commit was never acknowledged to its client.
            assertThatThrownBy(() -> commit.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(SQLException.class);
        } finally {
            db.admin().execute("SET GLOBAL rpl_semi_sync_master_enabled = OFF");
        }
        assertNoClientCanCommit();
    }

    @Test
    void aLongTransactionIsCutOffAndCannotCommitAfterTheFence() throws Exception {
        try (Connection client = app(); Statement s = client.createStatement()) {
            client.setAutoCommit(false);
            for (int i = 0; i < 200; i++) {
                s.execute("INSERT INTO t VALUES (" + (1000 + i) + ", 'long')");
            }

            FenceResult result = db.fence("test: lease lost");

            assertThat(result.kind()).as(result.toString()).isEqualTo(FenceResult.Kind.READ_ONLY);
            assertThat(result.took()).isLessThan(BOUND.plus(SLACK));
            assertThatThrownBy(client::commit).isInstanceOf(SQLException.class);
        }
        assertThat(db.admin().queryLong("SELECT COUNT(*) FROM app.t WHERE v = 'long'")).isZero();
        assertNoClientCanCommit();
    }

    @Test
    void aLongRunningWriteStatementDoesNotHoldUpTheFence() throws Exception {
        try (Connection client = app()) {
            // One INSERT that runs ~30 s (a second per row): read_only waits for write statements in progress.
            CompletableFuture<Void> statement = CompletableFuture.runAsync(() -> execute(client,
                    "INSERT INTO t SELECT 3000 + seq, 'slow' FROM seq_1_to_30 WHERE SLEEP(1) = 0"));
            await().atMost(Duration.ofSeconds(10)).until(() -> db.admin().queryRows(
                    "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = 'app' AND INFO LIKE 'INSERT%'").size() == 1);

            FenceResult result = db.fence("test: lease lost");

            assertThat(result.kind()).as(result.toString()).isEqualTo(FenceResult.Kind.READ_ONLY);
            assertThat(result.took()).isLessThan(BOUND.plus(SLACK));
            assertThatThrownBy(() -> statement.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(SQLException.class);
        }
        assertThat(db.admin().queryLong("SELECT COUNT(*) FROM app.t WHERE v = 'slow'")).isZero();
        assertNoClientCanCommit();
    }

    @Test
    void aStoppedServerIsKilledWithinTheBound() throws Exception {
        long pid = new ServerProcess(db.server().optionFile()).find().orElseThrow().pid();
        db.server().pause(true); // SIGSTOP: alive, answers nothing, keeps its clients' sessions
        try {
            FenceResult result = db.fence("test: database not answering");

            assertThat(result.kind()).as(result.toString()).isEqualTo(FenceResult.Kind.SERVER_KILLED);
            assertThat(result.writesStopped()).isTrue();
            assertThat(result.took()).isLessThan(Duration.ofSeconds(1).plus(BOUND).plus(SLACK));
            assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty();
        } finally {
            if (ProcessHandle.of(pid).filter(ProcessHandle::isAlive).isPresent()) {
                db.server().pause(false);
            }
            db.server().kill(); // reaps the child; the next test starts it again
        }
    }

    @Test
    void aStoppedServerIsReportedUnreachableWithinTheQueryTimeout() {
        assertThat(db.read().reachable()).isTrue();
        db.server().pause(true); // alive but answering nothing: over the unix socket a read would wait for it for good
        try {
            DatabaseReading reading = assertTimeoutPreemptively(Duration.ofSeconds(15), () -> db.read());
            assertThat(reading.reachable()).as("a stopped server is not reachable").isFalse();
        } finally {
            db.server().pause(false);
        }
        await("readable again").atMost(Duration.ofSeconds(30)).until(() -> db.read().reachable());
    }

    @Test
    void readingsRunOnOneKeptThreadNotOneStartedPerReading() {
        for (int i = 0; i < 5; i++) {
            assertThat(db.read().reachable()).isTrue();
        }
        // One platform thread, alive between readings (the HA loop reads twice a second): not five started and ended.
        assertThat(Thread.getAllStackTraces().keySet()).filteredOn(t -> t.getName().startsWith("db-read-")).hasSize(1);
    }

    @Test
    void aServerThatIsNotRunningIsReportedAsNotRunning() {
        db.server().kill();
        assertThat(db.serverProcessRunning()).isFalse();

        FenceResult result = db.fence("test: database not answering");

        assertThat(result.kind()).as(result.toString()).isEqualTo(FenceResult.Kind.NOT_RUNNING);
        assertThat(result.took()).isLessThan(BOUND.plus(SLACK));
    }

    @Test
    void aFencingConnectionThatDiedIsReplaced() {
        db.fence("test: open the fencing connection");
        db.admin().readOnly(false);
        // What wait_timeout does to an idle connection: the server ends the session. Here, every agent session but one.
        for (var row : db.admin().queryRows("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = 'root' AND ID <> CONNECTION_ID()")) {
            db.admin().execute("KILL CONNECTION " + row.get("ID"));
        }

        FenceResult result = db.fence("test: lease lost");

        assertThat(result.kind()).as(result.toString()).isEqualTo(FenceResult.Kind.READ_ONLY);
        assertThat(db.admin().isReadOnly()).isTrue();
    }

    private static void assertNoClientCanCommit() throws SQLException {
        try (Connection client = app(); Statement s = client.createStatement()) {
            assertThatThrownBy(() -> s.execute("INSERT INTO t VALUES (99, 'after fence')"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("read-only");
        }
    }

    private static Connection app() throws SQLException {
        return RealServer.app(db);
    }

    private static void execute(Connection c, String sql) {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new java.util.concurrent.CompletionException(e);
        }
    }
}
