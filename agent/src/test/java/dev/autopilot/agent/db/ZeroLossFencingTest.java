package dev.autopilot.agent.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fencing a zero-loss primary whose commits no replica acknowledges, on a real {@code mariadbd} (fault campaign seed
 * 501, reads gone backwards after the primary's disk filled). Killing the session of a commit parked in the semi-sync
 * wait does not abort it: the server stops waiting and commits it, so rows no replica has become visible on the fenced
 * primary, which the next election then prefers as "more advanced". The fence kills the server instead; its restart
 * as a would-be replica ({@code init_rpl_role=SLAVE}) truncates the unacknowledged transaction. Subnet 127.0.61.
 */
class ZeroLossFencingTest {
    private static LocalDatabase db;

    @BeforeAll
    static void startServer() {
        db = RealServer.start("ZeroLossFencingTest", "127.0.61.1", Map.of("AUTOPILOT_MYSQL_ZERO_LOSS", "true"));
        db.prepareFencing();
    }

    @AfterAll
    static void stopServer() throws IOException {
        RealServer.stop(db);
    }

    @Test
    void aFencedZeroLossPrimaryNeverCommitsWhatNoReplicaAcknowledged() throws Exception {
        db.admin().readOnly(false);
        String binlogBefore;
        try (Connection client = RealServer.app(db)) {
            execute(client, "INSERT INTO t VALUES (1, 'before')"); // semi-sync still off: committed and kept
            binlogBefore = db.admin().queryString("SELECT @@gtid_binlog_pos").orElseThrow();
            db.admin().execute("SET GLOBAL rpl_semi_sync_master_timeout = 30000");
            db.admin().execute("SET GLOBAL rpl_semi_sync_master_enabled = ON"); // as openWrites does; no replica here
            CompletableFuture<Void> commit = CompletableFuture.runAsync(() -> execute(client, "INSERT INTO t VALUES (2, 'parked')"));
            await().atMost(Duration.ofSeconds(10)).until(() -> db.admin().commitsParkedInSemiSyncWait(Duration.ofMillis(200)) == 1);

            FenceResult result = db.fence("test: lease lost");

            assertThat(result.kind()).as(result.toString()).isEqualTo(FenceResult.Kind.SERVER_KILLED);
            assertThatThrownBy(() -> commit.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(SQLException.class);
        }
        db.server().kill(); // reaps it; the supervisor's restart, done by hand here
        db.server().start(Duration.ofMinutes(2));
        await().atMost(Duration.ofSeconds(30)).until(() -> db.admin().ping());

        assertThat(db.admin().isReadOnly()).isTrue();
        assertThat(db.admin().queryLong("SELECT COUNT(*) FROM app.t WHERE v = 'before'")).isEqualTo(1);
        assertThat(db.admin().queryLong("SELECT COUNT(*) FROM app.t WHERE v = 'parked'")).as("the unacknowledged commit").isZero();
        assertThat(db.admin().queryString("SELECT @@gtid_binlog_pos")).as("nor is it left in the binlog for a replica").contains(binlogBefore);
    }

    private static void execute(Connection c, String sql) {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new CompletionException(e);
        }
    }
}
