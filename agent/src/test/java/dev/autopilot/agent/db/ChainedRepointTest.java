package dev.autopilot.agent.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.autopilot.agent.config.AgentConfigLoader;
import dev.autopilot.agent.ha.LocalDatabaseControl;
import dev.autopilot.mysql.auth.Credentials;
import dev.autopilot.mysql.flavor.ReplicationSource;
import dev.autopilot.mysql.gtid.GtidPosition;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Found by {@code bench/failover} (planned switchover, async): after a hand-over from A to B, A re-pointed to B first;
 * C, still replicating from A, received B's first transactions through A; then C re-pointed to B from the position
 * read at the start of its cycle, before them. Rewound, C fetched them again and its SQL thread stopped with error
 * 1950 (out-of-order GTID under gtid_strict_mode): a replica stuck until rebuilt. Three real servers, 127.0.39.1-3.
 */
@Timeout(120)
class ChainedRepointTest {
    private static final Credentials REPL = Credentials.of("repl", "repl-secret");
    private static LocalDatabase a;
    private static LocalDatabase b;
    private static LocalDatabase c;

    @BeforeAll
    static void startThreeServers() {
        a = RealServer.start("ChainedRepointTest-a", "127.0.39.1");
        b = RealServer.start("ChainedRepointTest-b", "127.0.39.2");
        c = RealServer.start("ChainedRepointTest-c", "127.0.39.3");
        for (LocalDatabase db : List.of(a, b, c)) {
            // Each server binlogged its own set-up under its own server_id: start the three from one empty history.
            db.admin().execute("RESET MASTER");
            db.admin().execute("SET GLOBAL gtid_slave_pos = ''");
            db.admin().executeUnlogged(List.of("CREATE USER IF NOT EXISTS 'repl'@'%' IDENTIFIED BY 'repl-secret'",
                    "GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%'"));
        }
    }

    @AfterAll
    static void stopServers() throws IOException {
        for (LocalDatabase db : new LocalDatabase[] {a, b, c}) {
            RealServer.stop(db);
        }
    }

    @Test
    void aReplicaThatGotTheNewPrimarysFirstWritesThroughItsOldSourceIsNotRewoundWhenItRepoints() throws Exception {
        a.admin().readOnly(false);
        replicate(b, a);
        replicate(c, a);
        insert(a, 1, 5);
        GtidPosition handedOver = a.admin().gtidPosition(); // the old primary's final position
        awaitCaughtUp(b, handedOver);
        awaitCaughtUp(c, handedOver);

        // The hand-over: A read-only, B opens writes, A follows B first; C still follows A.
        a.admin().readOnly(true);
        b.admin().stopReplica();
        b.admin().resetReplica();
        b.admin().readOnly(false);
        replicate(a, b);
        insert(b, 6, 10);
        GtidPosition firstWrites = b.admin().gtidPosition();
        awaitCaughtUp(c, firstWrites); // relayed by A

        new LocalDatabaseControl(c, config("127.0.39.3")).follow(ReplicationSource.of("127.0.39.2", RealServer.PORT, REPL), handedOver);
        insert(b, 11, 15);
        GtidPosition last = b.admin().gtidPosition();
        await("C follows B without re-applying B's first writes").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            var status = c.admin().replicationStatus();
            assertThat(status.lastSqlErrno()).as(status.lastSqlError()).isZero();
            assertThat(c.admin().gtidPosition().includes(last)).isTrue();
        });
        assertThat(c.admin().queryString("SELECT COUNT(*) FROM app.t")).contains("15");
        assertThat(c.admin().replicationStatus().sourceHost()).isEqualTo("127.0.39.2");
    }

    private static void replicate(LocalDatabase replica, LocalDatabase source) {
        replica.admin().readOnly(true);
        replica.admin().stopReplica();
        replica.admin().changePrimary(ReplicationSource.of(source.server().settings().bindAddress(), RealServer.PORT, REPL));
        replica.admin().startReplica();
    }

    private static void insert(LocalDatabase primary, int from, int to) {
        for (int id = from; id <= to; id++) {
            primary.admin().execute("INSERT INTO app.t VALUES (" + id + ", 'row " + id + "')");
        }
    }

    private static void awaitCaughtUp(LocalDatabase replica, GtidPosition position) {
        assertThat(replica.admin().waitForGtid(position, Duration.ofSeconds(30)))
                .as("%s reaches %s", replica.server().settings().bindAddress(), position).isTrue();
    }

    private static dev.autopilot.agent.config.AgentConfig config(String address) throws IOException {
        try {
            return new AgentConfigLoader(Map.of("AUTOPILOT_CLUSTER", "repoint", "AUTOPILOT_MEMBER_NAME", "db3",
                    "AUTOPILOT_MEMBER_ADDRESS", address, "AUTOPILOT_MEMBER_DATA_DIR", java.nio.file.Path.of("target/it/ChainedRepointTest-c/db1").toAbsolutePath().toString())).load(Optional.empty());
        } catch (dev.autopilot.agent.config.InvalidConfigException e) {
            throw new IllegalStateException(e);
        }
    }
}
