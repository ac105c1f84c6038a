package dev.autopilot.backup.snapshot;

import dev.autopilot.backup.restore.ExistingData;
import dev.autopilot.backup.restore.ReplicaStart;
import dev.autopilot.backup.restore.RestoredCopy;
import dev.autopilot.backup.restore.Restorer;
import dev.autopilot.mysql.admin.DatabaseAdmin;
import dev.autopilot.mysql.flavor.ReplicationSource;
import dev.autopilot.mysql.gtid.GtidPosition;
import dev.autopilot.storage.SnapshotStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Snapshot → store → provisioned replica against a real primary on 127.0.14.1 (replicas on 127.0.14.2), run
 * unchanged against each backend by the subclasses. About 30 s per backend.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
abstract class SnapshotScenarios {

    static final Restorer RESTORER = new Restorer("mariabackup", "64M", Duration.ofSeconds(1));
    static Path base;
    static BackupTestNode primary;

    /** The store under test, opened fresh per test on an empty prefix. */
    abstract SnapshotStore store();

    /** The file holding the object's bytes, to damage it as bit rot would. */
    abstract Path fileOf(String key);

    static void startPrimary(String backend) {
        base = Path.of("target", "snapshot-it", backend).toAbsolutePath();
        BackupTestNode.deleteTree(base);
        primary = new BackupTestNode(base, "primary", "127.0.14.1").bootstrapPrimary();
        primary.exec("CREATE DATABASE app",
                "CREATE TABLE app.items (id BIGINT AUTO_INCREMENT PRIMARY KEY, payload VARCHAR(200) NOT NULL)",
                "INSERT INTO app.items (payload) SELECT REPEAT(MD5(seq), 4) FROM app.seq_1_to_5000");
    }

    @AfterAll
    static void stopPrimary() {
        if (primary != null) {
            primary.close();
            primary = null;
        }
    }

    @Test
    void replicaProvisionedFromTheLatestSnapshotCatchesUpAndMatchesThePrimary() throws Exception {
        SnapshotWriter writer = new SnapshotWriter(store(), Clock.systemUTC());
        SnapshotInfo older = writer.take(primary.backupTarget(base.resolve("work")));
        primary.exec("INSERT INTO app.items (payload) SELECT REPEAT(MD5(seq), 4) FROM app.seq_1_to_100");
        SnapshotInfo newest = writer.take(primary.backupTarget(base.resolve("work")));
        primary.exec("INSERT INTO app.items (payload) VALUES ('after the snapshot')");

        assertThat(new SnapshotCatalog(store()).list()).extracting(SnapshotInfo::id).containsExactly(newest.id(), older.id());
        assertThat(newest.gtidPosition().includes(older.gtidPosition())).isTrue();
        assertThat(newest.gtidPosition()).isNotEqualTo(older.gtidPosition());
        assertThat(newest.serverVersion()).contains("MariaDB");
        assertThat(newest.binlogFile()).startsWith("binlog.");

        Optional<RestoredCopy> copy = ProvisionFromSnapshots.of(store(), RESTORER)
                .restore(base.resolve("replica-clean/data"), ExistingData.REFUSE);

        assertThat(copy).isPresent();
        assertThat(copy.get().gtidPosition()).isEqualTo(newest.gtidPosition());
        replicateAndCompare("replica-clean", copy.get());
    }

    @Test
    void corruptedSnapshotIsDetectedAndNotUsedAndTheReplicaStillComesUp() throws Exception {
        SnapshotWriter writer = new SnapshotWriter(store(), Clock.systemUTC());
        SnapshotInfo previous = writer.take(primary.backupTarget(base.resolve("work")));
        primary.exec("INSERT INTO app.items (payload) VALUES ('between the snapshots')");
        SnapshotInfo corrupted = writer.take(primary.backupTarget(base.resolve("work")));
        flipBytesInTheMiddle(fileOf(corrupted.dataKey()));
        ProvisionFromSnapshots provision = ProvisionFromSnapshots.of(store(), RESTORER);

        Optional<RestoredCopy> copy = provision.restore(base.resolve("replica-fallback/data"), ExistingData.REFUSE);

        assertThat(copy).as("the previous snapshot is used").isPresent();
        assertThat(copy.get().gtidPosition()).isEqualTo(previous.gtidPosition());
        assertThat(provision.unusable()).containsExactly(corrupted.id());
        assertThat(base.resolve("replica-fallback/data.restoring")).doesNotExist();
        replicateAndCompare("replica-fallback", copy.get());

        flipBytesInTheMiddle(fileOf(previous.dataKey()));
        Path nowhere = base.resolve("replica-none/data");
        assertThat(ProvisionFromSnapshots.of(store(), RESTORER).restore(nowhere, ExistingData.REFUSE))
                .as("no usable snapshot: the caller falls back to live clone").isEmpty();
        assertThat(nowhere).doesNotExist();
    }

    private void replicateAndCompare(String name, RestoredCopy copy) throws IOException {
        try (BackupTestNode replica = new BackupTestNode(base, name, "127.0.14.2")) {
            ReplicaStart.startServer(replica.server, copy, Duration.ofSeconds(60));
            try (DatabaseAdmin admin = replica.admin()) {
                ReplicaStart.replicateFrom(admin, copy, ReplicationSource.of("127.0.14.1", 3306, BackupTestNode.REPL));
                GtidPosition primaryPosition = GtidPosition.parse(primary.query("SELECT @@gtid_current_pos"));
                assertThat(ReplicaStart.awaitCaughtUp(admin, primaryPosition, Duration.ofSeconds(60))).isTrue();
            }
            assertThat(replica.query("CHECKSUM TABLE app.items")).isEqualTo(primary.query("CHECKSUM TABLE app.items"));
            assertThat(replica.query("SELECT COUNT(*) FROM app.items")).isEqualTo(primary.query("SELECT COUNT(*) FROM app.items"));
        }
    }

    static void flipBytesInTheMiddle(Path file) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            long at = f.length() / 2;
            f.seek(at);
            byte[] b = new byte[16];
            f.readFully(b);
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) ~b[i];
            }
            f.seek(at);
            f.write(b);
        }
    }
}
