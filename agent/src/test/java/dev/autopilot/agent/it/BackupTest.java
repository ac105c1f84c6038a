package dev.autopilot.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Backups wired into running agents (directory object store): a snapshot asked for through the REST API lands in
 * the store and in the member records; a new member provisions from it and catches up; a corrupted snapshot is
 * detected and not used, and the member still comes up by live clone.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class BackupTest {
    private static TestCluster cluster;
    private static Path objects;

    @BeforeAll
    static void startCluster() throws Exception {
        Path root = TestCluster.tempRoot("BackupTest");
        objects = root.resolve("objects");
        Files.createDirectories(objects);
        cluster = new TestCluster("backups", "127.0.18", root)
                .withEnv("AUTOPILOT_BACKUP_DIRECTORY", objects.toString())
                .withEnv("AUTOPILOT_BACKUP_INTERVAL", "1h");
        cluster.assemble(2);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static List<Path> snapshotFiles() throws Exception {
        try (Stream<Path> files = Files.walk(objects)) {
            return files.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().endsWith(".json"))
                    .filter(p -> p.toString().contains("snapshot")).sorted().toList();
        }
    }

    @Test
    @Order(1)
    void aSnapshotAskedForThroughTheApiLandsInTheStoreAndInTheMemberRecords() throws Exception {
        AgentNode primary = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(10));
        Scenarios.takeSnapshot(cluster, primary);
        assertThat(snapshotFiles()).isNotEmpty();
    }

    @Test
    @Order(2)
    void aNewMemberProvisionsFromTheSnapshotAndCatchesUp() throws Exception {
        AgentNode primary = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(10));
        AckedWriter.createTable(primary);
        try (var c = primary.appConnection(); var s = c.createStatement()) {
            s.execute("INSERT INTO w VALUES (1, 1), (2, 2)"); // after the snapshot: must arrive by replication
        }
        AgentNode third = cluster.add(3);
        third.start();
        Scenarios.awaitReplica(cluster, third.name, Duration.ofMinutes(2));
        assertThat(third.logContains("provisioning from the newest snapshot")).isTrue();
        assertThat(third.logContains("provisioning by live clone")).as("no live clone needed").isFalse();
        long expected = cluster.checksum(primary, "app.w");
        await("db3 matches the primary").atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(cluster.checksum(third, "app.w")).isEqualTo(expected));
    }

    @Test
    @Order(3)
    void aCorruptedSnapshotIsNotUsedAndTheMemberStillComesUpByLiveClone() throws Exception {
        // No snapshot may be half-written while the stored ones are corrupted (the store's snapshot lock is free).
        await("no snapshot in progress").atMost(Duration.ofMinutes(1)).until(() -> cluster.store.get("locks/snapshot").isEmpty());
        for (Path p : snapshotFiles()) {
            try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
                long at = f.length() / 2;
                f.seek(at);
                int b = f.read();
                f.seek(at);
                f.write(b ^ 0xFF);
            }
        }
        AgentNode fourth = cluster.add(4);
        fourth.start();
        Scenarios.awaitReplica(cluster, fourth.name, Duration.ofMinutes(2));
        assertThat(fourth.logContains("provisioning by live clone")).as("fell back to live clone").isTrue();
        AgentNode primary = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(10));
        long expected = cluster.checksum(primary, "app.w");
        await("db4 matches the primary").atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(cluster.checksum(fourth, "app.w")).isEqualTo(expected));
    }
}
