package dev.autopilot.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.autopilot.backup.binlog.BinlogArchiver;
import dev.autopilot.backup.pitr.PointInTimeRestore;
import dev.autopilot.backup.pitr.RecoveryTarget;
import dev.autopilot.backup.restore.Restorer;
import dev.autopilot.mysql.config.MemberIdentity;
import dev.autopilot.mysql.config.ServerSettings;
import dev.autopilot.mysql.gtid.GtidPosition;
import dev.autopilot.mysql.server.LocalServer;
import dev.autopilot.storage.SnapshotStore;
import dev.autopilot.storage.SnapshotStores;
import dev.autopilot.storage.StoreSettings;
import dev.autopilot.storage.manta.SigningKey;
import dev.autopilot.testkit.manta.MantaDouble;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Backups on Manta end to end, configured as the original image was, by its {@code MANTA_*} variables (an ECDSA key
 * in {@code MANTA_PRIVATE_KEY}): the Manta API double on 127.0.72.100 verifies every request's signature; a
 * one-member cluster on 127.0.72.x takes a snapshot and archives its binlogs there, a second member provisions from
 * that snapshot, and a point-in-time restore from Manta to a GTID between two writes holds exactly the rows before it.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class MantaBackupTest {
    private static final String ACCOUNT = "ops";
    private static final String DIRECTORY = "/ops/stor/backups/orders";

    @Test
    void snapshotsBinlogArchiveProvisioningAndPointInTimeRestoreRunOnManta() throws Exception {
        Path root = TestCluster.tempRoot("MantaBackupTest");
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair key = generator.generateKeyPair();
        String pem = "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(key.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        Path keyFile = root.resolve("manta.pem");
        Files.writeString(keyFile, pem);
        var keySource = new StoreSettings.MantaKey.KeyFile(keyFile);
        String keyId = SigningKey.load(keySource).md5();

        try (MantaDouble manta = MantaDouble.on("127.0.72.100", 8080, root.resolve("manta")).addKey(ACCOUNT, key.getPublic()).start();
             SnapshotStore store = SnapshotStores.open(new StoreSettings.Manta(manta.url(), ACCOUNT, null, List.of(), keyId,
                     keySource, DIRECTORY));
             TestCluster cluster = new TestCluster("orders", "127.0.72", root)
                     .withEnv("MANTA_URL", manta.url().toString())
                     .withEnv("MANTA_USER", ACCOUNT)
                     .withEnv("MANTA_KEY_ID", keyId)
                     .withEnv("MANTA_PRIVATE_KEY", pem.replace('\n', '#'))
                     .withEnv("MANTA_BUCKET", DIRECTORY)
                     .withEnv("AUTOPILOT_BACKUP_INTERVAL", "1h")
                     .withEnv("AUTOPILOT_BACKUP_ARCHIVE_INTERVAL", "10s")) {
            cluster.assemble(1);
            AgentNode primary = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(10));
            insertRows(primary, 1, 50);
            Scenarios.takeSnapshot(cluster, primary);
            assertThat(files(manta.fileOf(DIRECTORY + "/snapshots"))).as("the snapshot is in Manta").isNotEmpty();

            insertRows(primary, 51, 60); // after the snapshot: only the binlog archive has these
            GtidPosition between = position(primary);
            insertRows(primary, 61, 70);
            GtidPosition last = position(primary);

            AgentNode second = cluster.add(2);
            second.start(); // while the primary archives its binlog (every 10 s)
            await("the last write archived in Manta").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> BinlogArchiver.list(store).stream().flatMap(b -> b.range().stream())
                            .anyMatch(r -> GtidPosition.of(r.lastGtid()).includes(last)));
            // Restored while db2 provisions: both read the same snapshot from Manta.
            Path pitr = root.resolve("pitr");
            // A private server (no TCP, no grant checks) to restore into and read back.
            ServerSettings restored = PointInTimeRestore.temporaryServer(MemberIdentity.random(), pitr.resolve("data"),
                    pitr.resolve("run"));
            PointInTimeRestore.Result result = PointInTimeRestore.of(store, new Restorer("mariabackup", "64M", Duration.ofSeconds(1)),
                    root.resolve("work")).restore(new RecoveryTarget.AtGtid(between), restored, Duration.ofSeconds(60));
            assertThat(result.binlogsApplied()).isPositive();
            LocalServer server = new LocalServer(restored);
            server.start(Duration.ofSeconds(60));
            try (Connection c = DriverManager.getConnection("jdbc:mariadb://localhost/?localSocket=" + restored.socket(), "root", "");
                 Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT CONCAT(COUNT(*), ':', MIN(id), ':', MAX(id)) FROM app.w")) {
                rs.next();
                assertThat(rs.getString(1)).as("the snapshot's rows and the archived ones up to the GTID").isEqualTo("60:1:60");
            } finally {
                server.stop(Duration.ofSeconds(20));
            }
            Scenarios.awaitReplica(cluster, second.name, Duration.ofMinutes(2));
            assertThat(second.logContains("provisioning from the newest snapshot")).as(second.logTail(40)).isTrue();
            long expected = cluster.checksum(primary, "app.w");
            await("db2 matches the primary").atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(cluster.checksum(second, "app.w")).isEqualTo(expected));

            assertThat(manta.refusals()).as("every request was signed with the registered key").isEmpty();
        }
    }

    private static List<Path> files(Path dir) throws Exception {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).toList();
        }
    }

    private static void insertRows(AgentNode node, int from, int to) throws SQLException {
        try (Connection c = node.appConnection(); Statement s = c.createStatement()) {
            for (int id = from; id <= to; id++) {
                s.execute("INSERT INTO w VALUES (" + id + ", " + id + ")");
            }
        }
    }

    private static GtidPosition position(AgentNode node) throws SQLException {
        try (Connection c = node.rootConnection(TestCluster.ROOT_PASSWORD); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT @@gtid_binlog_pos")) {
            rs.next();
            return GtidPosition.parse(rs.getString(1));
        }
    }
}
