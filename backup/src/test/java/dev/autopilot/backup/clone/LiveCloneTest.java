package dev.autopilot.backup.clone;

import dev.autopilot.backup.restore.ExistingData;
import dev.autopilot.backup.restore.ProvisionStream;
import dev.autopilot.backup.restore.ReplicaStart;
import dev.autopilot.backup.restore.RestoredCopy;
import dev.autopilot.backup.restore.Restorer;
import dev.autopilot.backup.restore.TargetNotEmptyException;
import dev.autopilot.mysql.admin.ConnectionTarget;
import dev.autopilot.mysql.admin.DatabaseAdmin;
import dev.autopilot.mysql.auth.Credentials;
import dev.autopilot.mysql.auth.Secret;
import dev.autopilot.mysql.flavor.ReplicationSource;
import dev.autopilot.mysql.gtid.GtidPosition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import dev.autopilot.testkit.tls.TestCertificates;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Live clone against real servers: a primary on 127.0.5.1 with a donor on :4444, joiners restored
 * under target/clone-it and started on 127.0.5.2. Budget: about a minute for the class.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class LiveCloneTest {

    private static final CloneToken TOKEN = CloneToken.of(Secret.of("clone-token-for-tests-0123456789"));
    private static final InetSocketAddress DONOR = new InetSocketAddress("127.0.5.1", 4444);
    private static final Restorer RESTORER = new Restorer("mariabackup", "64M", Duration.ofSeconds(1));

    private static Path base;
    private static TestNode primary;
    private static CloneDonor donor;

    @BeforeAll
    static void startPrimaryWithDonor() throws IOException {
        base = Path.of("target", "clone-it").toAbsolutePath();
        deleteTree(base);
        primary = new TestNode(base, "primary", "127.0.5.1");
        primary.bootstrapPrimary();
        primary.exec("CREATE DATABASE app",
                "CREATE TABLE app.items (id BIGINT AUTO_INCREMENT PRIMARY KEY, payload VARCHAR(200) NOT NULL)",
                "INSERT INTO app.items (payload) SELECT REPEAT(MD5(seq), 6) FROM app.seq_1_to_4000");
        for (int i = 0; i < 3; i++) { // 32,000 rows, ~8 MB: the clone takes long enough to overlap the writer
            primary.exec("INSERT INTO app.items (payload) SELECT REPEAT(MD5(RAND()), 6) FROM app.items");
        }
        donor = new CloneDonor(DonorSettings.of(DONOR, TOKEN, "127.0.5.1", 3306,
                Credentials.of("backup", TestNode.BACKUP_PASSWORD), primary.settings.dataDir(), base.resolve("donor-work")));
        donor.start();
    }

    @AfterAll
    static void stopAll() throws IOException {
        if (donor != null) {
            donor.close();
        }
        if (primary != null) {
            primary.close();
        }
    }

    @Test
    void cloneTakenUnderWriteLoadReplicatesToThePrimarysPositionWithEqualChecksums() throws Exception {
        TestNode joiner = new TestNode(base, "joiner", "127.0.5.2");
        Writer writer = new Writer(primary);
        try (joiner) {
            await().atMost(Duration.ofSeconds(30)).until(() -> donor.servingJoiner().isEmpty());
            writer.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> writer.inserted.get() >= 20);
            long insertedBefore = writer.inserted.get();

            RestoredCopy copy = RESTORER.restore(LiveCloneSource.of(DONOR, TOKEN), joiner.settings.dataDir(), ExistingData.REFUSE);

            assertThat(writer.inserted.get()).as("rows written while the clone ran").isGreaterThan(insertedBefore);
            assertThat(copy.datadir()).isEqualTo(joiner.settings.dataDir());
            assertThat(copy.datadir().resolve("ibdata1")).exists();
            assertThat(copy.datadir().getParent().resolve("data.restoring")).doesNotExist();
            assertThat(copy.gtidPosition().isEmpty()).isFalse();
            assertThat(copy.bytes()).isGreaterThan(8L << 20);

            ReplicaStart.startServer(joiner.server, copy, Duration.ofSeconds(60));
            try (DatabaseAdmin admin = new DatabaseAdmin(ConnectionTarget.tcp("127.0.5.2", 3306,
                    Credentials.of("admin", TestNode.ADMIN_PASSWORD)))) {
                ReplicaStart.replicateFrom(admin, copy, ReplicationSource.of("127.0.5.1", 3306,
                        Credentials.of("repl", TestNode.REPL_PASSWORD)));
                writer.stopAndJoin();
                GtidPosition primaryPosition = GtidPosition.parse(primary.queryString("SELECT @@gtid_current_pos"));
                assertThat(primaryPosition.includes(copy.gtidPosition())).isTrue();
                assertThat(primaryPosition).isNotEqualTo(copy.gtidPosition()); // the writer went on after the backup

                assertThat(ReplicaStart.awaitCaughtUp(admin, primaryPosition, Duration.ofSeconds(60))).isTrue();

                assertThat(joiner.queryString("SELECT COUNT(*) FROM app.items"))
                        .isEqualTo(primary.queryString("SELECT COUNT(*) FROM app.items"));
                assertThat(joiner.queryString("CHECKSUM TABLE app.items"))
                        .isEqualTo(primary.queryString("CHECKSUM TABLE app.items"));
                assertThat(joiner.queryString("SELECT @@server_id")).isNotEqualTo(primary.queryString("SELECT @@server_id"));
            }
        } finally {
            writer.stopAndJoin();
        }
        assertThat(donor.clonesCompleted()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void joinerWithAnotherTokenIsRefusedAndNothingIsStreamed() {
        long started = donor.clonesStarted();
        Path target = base.resolve("wrong-token").resolve("data");
        CloneToken wrong = CloneToken.of(Secret.of("not-the-clone-token-0123456789"));

        assertThatThrownBy(() -> RESTORER.restore(LiveCloneSource.of(DONOR, wrong), target, ExistingData.REFUSE))
                .isInstanceOfSatisfying(CloneException.class,
                        e -> assertThat(e.reason()).isEqualTo(CloneException.Reason.AUTHENTICATION))
                .hasMessageContaining("clone token");
        assertThat(target).doesNotExist();
        assertThat(target.resolveSibling("data.restoring")).doesNotExist();
        assertThat(donor.clonesStarted()).isEqualTo(started);
    }

    @Test
    void donorProvesNothingToAJoinerThatCannotProveTheTokenAndRefusesItWithAnAuthenticationErrorFrame() throws IOException {
        long started = donor.clonesStarted();
        byte[] joinerNonce = CloneProtocol.nonce();
        try (Socket s = new Socket()) {
            s.connect(DONOR, 5000);
            s.setSoTimeout(10_000);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
            out.write(CloneProtocol.MAGIC);
            out.write(joinerNonce);
            out.flush();
            assertThat(in.readNBytes(CloneProtocol.MAGIC.length)).isEqualTo(CloneProtocol.MAGIC);
            byte[] donorNonce = in.readNBytes(CloneProtocol.NONCE_BYTES);
            out.write(new byte[CloneProtocol.MAC_BYTES]); // a guess, not a proof
            out.flush();

            byte[] rest = in.readAllBytes(); // up to the donor's close
            byte[] donorProof = CloneProtocol.proof(TOKEN, "donor", joinerNonce, donorNonce);
            assertThat(indexOf(rest, donorProof)).as("the donor's proof: material to guess the token offline").isEqualTo(-1);
            DataInputStream reply = new DataInputStream(new java.io.ByteArrayInputStream(rest));
            assertThat(reply.readByte()).isEqualTo(CloneProtocol.ERROR);
            byte[] payload = reply.readNBytes(reply.readInt());
            assertThat(payload[0]).isEqualTo((byte) CloneException.Reason.AUTHENTICATION.ordinal());
            assertThat(new String(payload, 1, payload.length - 1, StandardCharsets.UTF_8)).contains("authentication failed");
            assertThat(reply.read()).as("nothing after the error: the donor closes after refusing").isEqualTo(-1);
        }
        assertThat(donor.clonesStarted()).isEqualTo(started);
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (java.util.Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void backupFailureOnTheDonorReachesTheJoinerAsAnErrorAndLeavesNoHalfRestoredDatadir() throws IOException {
        InetSocketAddress badAddress = new InetSocketAddress("127.0.5.1", 4445);
        Path target = base.resolve("failed-backup").resolve("data");
        try (CloneDonor badDonor = new CloneDonor(DonorSettings.of(badAddress, TOKEN, "127.0.5.1", 3306,
                Credentials.of("backup", "wrong-password"), primary.settings.dataDir(), base.resolve("bad-donor-work")))) {
            badDonor.start();

            assertThatThrownBy(() -> RESTORER.restore(LiveCloneSource.of(badAddress, TOKEN), target, ExistingData.REFUSE))
                    .isInstanceOfSatisfying(CloneException.class,
                            e -> assertThat(e.reason()).isEqualTo(CloneException.Reason.BACKUP_FAILED))
                    .hasMessageContaining("mariabackup failed on the donor")
                    .hasMessageContaining("Access denied");
            assertThat(badDonor.clonesCompleted()).isZero();
        }
        assertThat(target).doesNotExist();
        assertThat(target.resolveSibling("data.restoring")).doesNotExist();
        assertThat(base.resolve("bad-donor-work")).isEmptyDirectory();
    }

    @Test
    void cloneOverMutualTlsStreamsToAMemberAndRefusesJoinersWithoutTheClustersCertificate() throws Exception {
        InetSocketAddress tlsAddress = new InetSocketAddress("127.0.5.1", 4446);
        var certs = TestCertificates.create(base.resolve("tls"), "127.0.5.1", "127.0.5.2");
        var stranger = TestCertificates.create(base.resolve("stranger-tls"), "127.0.5.2");
        try (CloneDonor tlsDonor = new CloneDonor(DonorSettings.of(tlsAddress, TOKEN, "127.0.5.1", 3306,
                Credentials.of("backup", TestNode.BACKUP_PASSWORD), primary.settings.dataDir(), base.resolve("tls-donor-work"))
                .withStreamTls(Optional.of(certs.clientContext("127.0.5.1"))))) {
            tlsDonor.start();

            Path plainTarget = base.resolve("tls-plain").resolve("data");
            assertThatThrownBy(() -> RESTORER.restore(LiveCloneSource.of(tlsAddress, TOKEN), plainTarget, ExistingData.REFUSE))
                    .as("a joiner speaking plain TCP").isInstanceOf(CloneException.class);
            Path strangerTarget = base.resolve("tls-stranger").resolve("data");
            assertThatThrownBy(() -> RESTORER.restore(LiveCloneSource.of(tlsAddress, TOKEN)
                    .withTls(Optional.of(stranger.clientContext("127.0.5.2"))), strangerTarget, ExistingData.REFUSE))
                    .as("a joiner whose certificate another CA signed")
                    .isInstanceOfSatisfying(CloneException.class, e -> assertThat(e.reason()).isEqualTo(CloneException.Reason.AUTHENTICATION))
                    .hasMessageContaining("TLS handshake");
            assertThat(tlsDonor.clonesStarted()).as("nothing streamed to either").isZero();

            Path target = base.resolve("tls-member").resolve("data");
            RestoredCopy copy = RESTORER.restore(LiveCloneSource.of(tlsAddress, TOKEN).withTls(Optional.of(certs.clientContext("127.0.5.2"))),
                    target, ExistingData.REFUSE);
            assertThat(copy.bytes()).isGreaterThan(8L << 20);
            assertThat(copy.gtidPosition().isEmpty()).isFalse();
            assertThat(tlsDonor.clonesCompleted()).isEqualTo(1);
        }
    }

    @Test
    void nonEmptyTargetDatadirIsRefusedBeforeTheDonorIsAsked() throws IOException {
        long started = donor.clonesStarted();
        Path target = base.resolve("occupied").resolve("data");
        Files.createDirectories(target);
        Files.writeString(target.resolve("ibdata1"), "somebody's data");

        assertThatThrownBy(() -> RESTORER.restore(LiveCloneSource.of(DONOR, TOKEN), target, ExistingData.REFUSE))
                .isInstanceOf(TargetNotEmptyException.class)
                .hasMessageContaining(target.toString())
                .hasMessageContaining("ExistingData.DISCARD");
        assertThat(Files.readString(target.resolve("ibdata1"))).isEqualTo("somebody's data");
        assertThat(target.resolveSibling("data.restoring")).doesNotExist();
        assertThat(donor.clonesStarted()).isEqualTo(started);
    }

    @Test
    void targetMarkedDisposableIsReplacedByThePreparedCopy() throws Exception {
        await().atMost(Duration.ofSeconds(30)).until(() -> donor.servingJoiner().isEmpty());
        Path target = base.resolve("rebuilt").resolve("data");
        Files.createDirectories(target);
        Files.writeString(target.resolve("stale-file"), "data of a node being rebuilt");

        RestoredCopy copy = RESTORER.restore(LiveCloneSource.of(DONOR, TOKEN), target, ExistingData.DISCARD);

        assertThat(target.resolve("stale-file")).doesNotExist();
        assertThat(target.resolve("ibdata1")).exists();
        assertThat(target.resolve("app").resolve("items.ibd")).exists();
        assertThat(copy.gtidPosition().isEmpty()).isFalse();
        assertThat(target.resolveSibling("data.restoring")).doesNotExist();
    }

    @Test
    void secondJoinerIsRefusedAsBusyWhileACloneStreamsAndServedOnceItEnds() throws IOException {
        LiveCloneSource source = LiveCloneSource.of(DONOR, TOKEN);
        try (ProvisionStream first = source.open()) {
            assertThat(first.expectedBytes()).isPresent();
            assertThatThrownBy(source::open)
                    .isInstanceOfSatisfying(CloneException.class, e -> assertThat(e.reason()).isEqualTo(CloneException.Reason.BUSY))
                    .hasMessageContaining("already streaming a clone");
        }
        // The first joiner hung up mid-stream: the donor stops that backup and serves the next joiner.
        await().atMost(Duration.ofSeconds(30)).ignoreExceptionsInstanceOf(CloneException.class).untilAsserted(() -> {
            try (ProvisionStream next = source.open()) {
                assertThat(next.xbstream().read()).isNotNegative();
            }
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> donor.servingJoiner().isEmpty());
    }

    /** Inserts rows one transaction at a time until stopped. */
    private static final class Writer {
        final AtomicLong inserted = new AtomicLong();
        final AtomicBoolean running = new AtomicBoolean(true);
        final TestNode node;
        Thread thread;

        Writer(TestNode node) {
            this.node = node;
        }

        void start() {
            thread = Thread.ofVirtual().name("test-writer").start(() -> {
                try (Connection c = node.connect();
                     PreparedStatement ps = c.prepareStatement("INSERT INTO app.items (payload) VALUES (?)")) {
                    while (running.get()) {
                        ps.setString(1, "written during the clone #" + inserted.get());
                        ps.executeUpdate();
                        inserted.incrementAndGet();
                    }
                } catch (SQLException e) {
                    throw new IllegalStateException("writer failed after " + inserted.get() + " rows", e);
                }
            });
        }

        void stopAndJoin() throws InterruptedException {
            running.set(false);
            if (thread != null) {
                thread.join(Duration.ofSeconds(30));
            }
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var s = Files.walk(root)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
