package dev.autopilot.backup.snapshot;

import dev.autopilot.backup.pitr.BackupService;
import dev.autopilot.backup.pitr.Retention;
import dev.autopilot.mysql.auth.Credentials;
import dev.autopilot.storage.SnapshotStore;
import dev.autopilot.storage.SnapshotStores;
import dev.autopilot.storage.StoreSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link SnapshotScenarios} on the directory backend, plus a backup that fails halfway. */
class DirectorySnapshotTest extends SnapshotScenarios {

    private static final AtomicInteger RUNS = new AtomicInteger();
    private Path root;
    private SnapshotStore store;

    @BeforeAll
    static void start() {
        startPrimary("dir");
    }

    @BeforeEach
    void openStore() throws Exception {
        root = Files.createDirectories(base.resolve("store-" + RUNS.incrementAndGet()));
        store = SnapshotStores.open(new StoreSettings.Directory(root));
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    @Override
    SnapshotStore store() {
        return store;
    }

    @Override
    Path fileOf(String key) {
        return root.resolve(key);
    }

    @Test
    void backupThatFailsLeavesNoUsableObjectAndIsNotPublished() throws Exception {
        BackupTarget wrongPassword = new BackupTarget("primary", "127.0.14.1", 3306, Credentials.of("backup", "wrong"),
                primary.settings.dataDir(), base.resolve("work"), "mariabackup", "zstd", 3, 2, Duration.ofSeconds(1));
        InMemoryCoordination coordination = new InMemoryCoordination();
        BackupService service = new BackupService(store, coordination, new Retention(2), Clock.systemUTC(),
                Duration.ofSeconds(1), Duration.ofSeconds(30));

        assertThatThrownBy(() -> service.takeSnapshot(wrongPassword)).hasMessageContaining("mariabackup");

        assertThat(store.list("")).as("objects left in the store").isEmpty();
        assertThat(coordination.latest()).isEmpty();
        assertThat(coordination.locked()).as("the lock is released after a failure").isFalse();
        assertThat(service.status().consecutiveFailures()).isEqualTo(1);
        assertThat(service.status().lastError()).get().asString().contains("mariabackup");
        assertThat(service.overdue(Duration.ofHours(1))).isTrue();
        assertThat(service.due(Duration.ofHours(1), 0, 10)).as("backing off after the failure").isFalse();
    }

    @Test
    void anotherMemberHoldingTheLockMeansNoSnapshotAndRetentionKeepsTheNewest() throws Exception {
        InMemoryCoordination coordination = new InMemoryCoordination();
        BackupService service = new BackupService(store, coordination, new Retention(2), Clock.systemUTC(),
                Duration.ofSeconds(1), Duration.ofSeconds(30));
        BackupTarget from = primary.backupTarget(base.resolve("work"));
        assertThat(coordination.tryLock()).isTrue(); // held elsewhere

        assertThat(service.takeSnapshot(from)).isEmpty();
        assertThat(store.list("")).isEmpty();

        coordination.unlock();
        SnapshotInfo first = service.takeSnapshot(from).orElseThrow();
        SnapshotInfo second = service.takeSnapshot(from).orElseThrow();
        SnapshotInfo third = service.takeSnapshot(from).orElseThrow();
        assertThat(coordination.latest()).contains(third.id());

        Retention.Plan plan = service.applyRetention();

        assertThat(plan.snapshots()).containsExactly(first);
        assertThat(service.snapshots()).extracting(SnapshotInfo::id).containsExactly(third.id(), second.id());
        assertThat(store.stat(first.dataKey())).isEmpty();
    }
}
