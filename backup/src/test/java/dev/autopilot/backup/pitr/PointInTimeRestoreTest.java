package dev.autopilot.backup.pitr;

import dev.autopilot.backup.binlog.ArchivedBinlog;
import dev.autopilot.backup.binlog.BinlogArchiver;
import dev.autopilot.backup.restore.ExistingData;
import dev.autopilot.backup.restore.ReplicaStart;
import dev.autopilot.backup.restore.Restorer;
import dev.autopilot.backup.snapshot.ProvisionFromSnapshots;
import dev.autopilot.mysql.flavor.ReplicationSource;
import dev.autopilot.backup.snapshot.BackupTestNode;
import dev.autopilot.backup.snapshot.InMemoryCoordination;
import dev.autopilot.backup.snapshot.SnapshotInfo;
import dev.autopilot.mysql.admin.DatabaseAdmin;
import dev.autopilot.mysql.gtid.GtidPosition;
import dev.autopilot.storage.SnapshotStore;
import dev.autopilot.storage.SnapshotStores;
import dev.autopilot.storage.StoreSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Snapshot + binlog archive + point-in-time restore against a real primary on 127.0.14.1 and a directory store;
 * restored copies are started on 127.0.14.4/.5 to read them. About 25 s.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PointInTimeRestoreTest {

    private static final Restorer RESTORER = new Restorer("mariabackup", "64M", Duration.ofSeconds(1));
    private static Path base;
    private static BackupTestNode primary;
    private static SnapshotStore store;

    @BeforeAll
    static void startPrimary() throws Exception {
        base = Path.of("target", "pitr-it").toAbsolutePath();
        BackupTestNode.deleteTree(base);
        primary = new BackupTestNode(base, "primary", "127.0.14.1").bootstrapPrimary();
        primary.exec("CREATE DATABASE app",
                "CREATE TABLE app.events (id BIGINT AUTO_INCREMENT PRIMARY KEY, label CHAR(1) NOT NULL)",
                "INSERT INTO app.events (label) SELECT 'S' FROM app.seq_1_to_100");
        store = SnapshotStores.open(new StoreSettings.Directory(Files.createDirectories(base.resolve("store"))));
    }

    @AfterAll
    static void stopAll() {
        if (store != null) {
            store.close();
        }
        if (primary != null) {
            primary.close();
        }
    }

    @Test
    void restoreToATimeBetweenTwoWritesHoldsExactlyTheWritesBeforeItAndToAGtidStopsAtIt() throws Exception {
        TestClock clock = new TestClock(Instant.now());
        BackupService service = new BackupService(store, new InMemoryCoordination(), new Retention(2), Clock.systemUTC(),
                Duration.ofSeconds(1), Duration.ofSeconds(10));
        SnapshotInfo snapshot = service.takeSnapshot(primary.backupTarget(base.resolve("work"))).orElseThrow();
        BinlogArchiver archiver = new BinlogArchiver(store, primary.settings.dataDir(), Duration.ofMinutes(5),
                "mariadb-binlog", "zstd", base.resolve("work"), clock);
        GtidPosition afterSecondA;
        Instant between;
        try (DatabaseAdmin admin = primary.admin()) {
            archiver.archive(admin); // notes the current binlog; the interval counts from here
            admin.execute("INSERT INTO app.events (label) VALUES ('A')");
            admin.execute("INSERT INTO app.events (label) VALUES ('A')");
            afterSecondA = GtidPosition.parse(admin.queryString("SELECT @@gtid_binlog_pos").orElseThrow());
            admin.execute("INSERT INTO app.events (label) VALUES ('A')");
            Instant lastA = Instant.now();
            // Binlog times have whole seconds: the target is the first whole second after the last A.
            await().atMost(Duration.ofSeconds(3)).until(() -> Instant.now().getEpochSecond() > lastA.getEpochSecond());
            between = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            for (int i = 0; i < 2; i++) {
                admin.execute("INSERT INTO app.events (label) VALUES ('B')");
            }
            clock.advance(Duration.ofMinutes(6));
            List<ArchivedBinlog> archived = archiver.archive(admin);
            assertThat(archived).as("the overdue binlog was rotated and archived").hasSize(1);
            assertThat(archived.getFirst().range()).isPresent();
            assertThat(archiver.archive(admin)).as("a second pass uploads nothing").isEmpty();
        }
        assertThat(service.binlogsSinceLast()).isEqualTo(1);

        BackupTestNode atTime = new BackupTestNode(base, "pitr-time", "127.0.14.4");
        PointInTimeRestore.Result result = PointInTimeRestore.of(store, RESTORER, base.resolve("work"))
                .restore(new RecoveryTarget.AtTime(between), atTime.settings, Duration.ofSeconds(60));

        assertThat(result.snapshot().id()).isEqualTo(snapshot.id());
        assertThat(result.binlogsApplied()).isEqualTo(1);
        try (atTime) {
            atTime.server.start(Duration.ofSeconds(60));
            assertThat(atTime.query("SELECT COUNT(*) FROM app.events WHERE label = 'S'")).isEqualTo("100");
            assertThat(atTime.query("SELECT COUNT(*) FROM app.events WHERE label = 'A'")).isEqualTo("3");
            assertThat(atTime.query("SELECT COUNT(*) FROM app.events WHERE label = 'B'")).isEqualTo("0");
        }

        BackupTestNode atGtid = new BackupTestNode(base, "pitr-gtid", "127.0.14.5");
        PointInTimeRestore.Result byGtid = PointInTimeRestore.of(store, RESTORER, base.resolve("work"))
                .restore(new RecoveryTarget.AtGtid(afterSecondA), atGtid.settings, Duration.ofSeconds(60));
        assertThat(byGtid.reached().includes(afterSecondA)).isTrue();
        try (atGtid) {
            atGtid.server.start(Duration.ofSeconds(60));
            assertThat(atGtid.query("SELECT COUNT(*) FROM app.events WHERE label = 'A'")).isEqualTo("2");
            assertThat(atGtid.query("SELECT COUNT(*) FROM app.events WHERE label = 'B'")).isEqualTo("0");
        }
    }

    @Test
    void archiveContinuesAfterAFailoverAndReplayAppliesTransactionsInBothArchivesOnce() throws Exception {
        SnapshotStore failoverStore = SnapshotStores.open(new StoreSettings.Directory(
                Files.createDirectories(base.resolve("failover-store"))));
        try (failoverStore; BackupTestNode replica = new BackupTestNode(base, "replica", "127.0.14.2")) {
            BackupService service = new BackupService(failoverStore, new InMemoryCoordination(), new Retention(2),
                    Clock.systemUTC(), Duration.ofSeconds(1), Duration.ofSeconds(10));
            service.takeSnapshot(primary.backupTarget(base.resolve("work"))).orElseThrow();
            var copy = ProvisionFromSnapshots.of(failoverStore, RESTORER)
                    .restore(replica.settings.dataDir(), ExistingData.REFUSE).orElseThrow();
            ReplicaStart.startServer(replica.server, copy, Duration.ofSeconds(60));
            try (DatabaseAdmin oldPrimary = primary.admin(); DatabaseAdmin newPrimary = replica.admin()) {
                ReplicaStart.replicateFrom(newPrimary, copy, ReplicationSource.of("127.0.14.1", 3306, BackupTestNode.REPL));
                oldPrimary.execute("INSERT INTO app.events (label) VALUES ('O')");
                oldPrimary.execute("INSERT INTO app.events (label) VALUES ('O')");
                GtidPosition beforeFailover = GtidPosition.parse(oldPrimary.queryString("SELECT @@gtid_binlog_pos").orElseThrow());
                assertThat(ReplicaStart.awaitCaughtUp(newPrimary, beforeFailover, Duration.ofSeconds(30))).isTrue();
                oldPrimary.execute("FLUSH BINARY LOGS");
                assertThat(BinlogArchiver.of(failoverStore, primary.settings.dataDir(), Duration.ofMinutes(5), base.resolve("work"))
                        .archive(oldPrimary)).isNotEmpty();

                // Failover: the replica becomes the primary and takes writes; its binlog also holds the 'O' rows.
                newPrimary.stopReplica();
                newPrimary.readOnly(false);
                newPrimary.execute("INSERT INTO app.events (label) VALUES ('N')");
                newPrimary.execute("FLUSH BINARY LOGS");
                List<ArchivedBinlog> fromNewPrimary = BinlogArchiver.of(failoverStore, replica.settings.dataDir(),
                        Duration.ofMinutes(5), base.resolve("work")).archive(newPrimary);
                assertThat(fromNewPrimary).isNotEmpty();
                assertThat(fromNewPrimary.getFirst().key()).doesNotStartWith(ArchivedBinlog.PREFIX
                        + primary.query("SELECT @@server_id") + "/");
            }
        }
        Instant afterAll = Instant.now().plusSeconds(2);
        BackupTestNode restored = new BackupTestNode(base, "pitr-failover", "127.0.14.6");
        try (SnapshotStore reopened = SnapshotStores.open(new StoreSettings.Directory(base.resolve("failover-store")))) {
            PointInTimeRestore.Result result = PointInTimeRestore.of(reopened, RESTORER, base.resolve("work"))
                    .restore(new RecoveryTarget.AtTime(afterAll), restored.settings, Duration.ofSeconds(60));
            assertThat(result.binlogsApplied()).isEqualTo(2);
        }
        try (restored) {
            restored.server.start(Duration.ofSeconds(60));
            assertThat(restored.query("SELECT COUNT(*) FROM app.events WHERE label = 'O'")).isEqualTo("2");
            assertThat(restored.query("SELECT COUNT(*) FROM app.events WHERE label = 'N'")).isEqualTo("1");
        }
    }

    @Test
    void aMemberWhoseBinlogNumbersStartAgainUnderTheSameServerIdStillHasEveryBinlogArchived() throws Exception {
        SnapshotStore rebuiltStore = SnapshotStores.open(new StoreSettings.Directory(
                Files.createDirectories(base.resolve("rebuilt-store"))));
        try (rebuiltStore; BackupTestNode node = new BackupTestNode(base, "rebuilt", "127.0.14.6").bootstrapPrimary();
             DatabaseAdmin admin = node.admin()) {
            BinlogArchiver archiver = new BinlogArchiver(rebuiltStore, node.settings.dataDir(), Duration.ofMinutes(5),
                    "mariadb-binlog", "zstd", base.resolve("work"), Clock.systemUTC());
            admin.execute("CREATE DATABASE before_rebuild");
            admin.execute("FLUSH BINARY LOGS");
            List<ArchivedBinlog> before = archiver.archive(admin);
            String firstFile = before.stream().map(ArchivedBinlog::file).sorted().findFirst().orElseThrow();
            long archivedAt = Instant.now().getEpochSecond();
            await().atMost(Duration.ofSeconds(3)).until(() -> Instant.now().getEpochSecond() > archivedAt);

            // What a rebuild that keeps the member's identity does: the binlog starts again at the first number.
            admin.execute("RESET MASTER");
            admin.execute("CREATE DATABASE after_rebuild");
            admin.execute("FLUSH BINARY LOGS");
            List<ArchivedBinlog> after = archiver.archive(admin);

            assertThat(after).extracting(ArchivedBinlog::file).contains(firstFile);
            List<ArchivedBinlog> sameName = BinlogArchiver.list(rebuiltStore).stream().filter(b -> b.file().equals(firstFile)).toList();
            assertThat(sameName).as("both files named " + firstFile + " are in the archive").hasSize(2);
            assertThat(sameName).extracting(ArchivedBinlog::key).doesNotHaveDuplicates();
            assertThat(after.stream().filter(b -> b.file().equals(firstFile)).findFirst().orElseThrow().range())
                    .as("the new file's transactions were archived").isPresent();
        }
    }

    /** A clock the test moves, so the archive interval passes without waiting for it. */
    static final class TestClock extends Clock {
        private volatile Instant now;

        TestClock(Instant start) {
            this.now = start;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
