package dev.autopilot.backup.snapshot;

import dev.autopilot.backup.pitr.BackupService;
import dev.autopilot.backup.pitr.Retention;
import dev.autopilot.storage.Secret;
import dev.autopilot.storage.SnapshotStore;
import dev.autopilot.storage.SnapshotStores;
import dev.autopilot.storage.StoreSettings;
import dev.autopilot.testkit.s3.S3ProxyServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * {@link SnapshotScenarios} on a real s3proxy (its own JVM, filesystem blobstore) on 127.0.14.10:8080, plus an
 * object-store outage. Each test gets its own key prefix.
 */
class S3SnapshotTest extends SnapshotScenarios {

    private static final String BUCKET = "backups";
    private static final AtomicInteger RUNS = new AtomicInteger();
    private static S3ProxyServer s3;
    private String prefix;
    private SnapshotStore store;

    @BeforeAll
    static void start() {
        startPrimary("s3");
        s3 = S3ProxyServer.filesystem("127.0.14.10", 8080, base.resolve("s3proxy")).start();
        s3.createBucket(BUCKET);
    }

    @AfterAll
    static void stopS3() {
        if (s3 != null) {
            s3.close();
        }
    }

    @BeforeEach
    void openStore() {
        prefix = "run-" + RUNS.incrementAndGet() + "/";
        store = SnapshotStores.open(new StoreSettings.S3(BUCKET, prefix, s3.endpoint(), "us-east-1", true,
                new StoreSettings.Credentials.AccessKey(s3.accessKeyId(), new Secret(s3.secretAccessKey())))
                .withParts(5, 2));
    }

    @AfterEach
    void closeStore() {
        store.close();
        if (!s3.isRunning()) {
            s3.start();
        }
    }

    @Override
    SnapshotStore store() {
        return store;
    }

    @Override
    Path fileOf(String key) {
        return s3.blobDirectory().resolve(BUCKET).resolve(prefix + key);
    }

    @Test
    void withTheObjectStoreStoppedThePrimaryStaysHealthyAndSnapshotsResumeAfter() throws Exception {
        InMemoryCoordination coordination = new InMemoryCoordination();
        BackupService service = new BackupService(store, coordination, new Retention(2), Clock.systemUTC(),
                Duration.ofSeconds(1), Duration.ofSeconds(4));
        BackupTarget from = primary.backupTarget(base.resolve("work"));
        s3.stop();

        assertThatThrownBy(() -> service.takeSnapshot(from));
        assertThatThrownBy(() -> service.takeSnapshot(from));

        try (var admin = primary.admin()) {
            assertThat(admin.ping()).as("the primary answers during the outage").isTrue();
            admin.execute("INSERT INTO app.items (payload) VALUES ('written during the outage')");
        }
        assertThat(service.status().consecutiveFailures()).isEqualTo(2);
        assertThat(service.overdue(Duration.ofMinutes(10))).as("no snapshot yet: overdue").isTrue();
        assertThat(coordination.latest()).isEmpty();
        assertThat(coordination.locked()).isFalse();

        s3.start();
        await().atMost(Duration.ofSeconds(20)).until(() -> service.due(Duration.ofMinutes(10), 0, 10));
        Optional<SnapshotInfo> taken = service.takeSnapshot(from);

        assertThat(taken).isPresent();
        assertThat(coordination.latest()).contains(taken.get().id());
        assertThat(service.overdue(Duration.ofMinutes(10))).isFalse();
        assertThat(service.status().consecutiveFailures()).isZero();
        assertThat(service.snapshots()).extracting(SnapshotInfo::id).containsExactly(taken.get().id());
    }
}
