package dev.autopilot.agent.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
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
 * Secrets and privileges on a real bootstrapped cluster (two agents, directory object store, binlog archiving):
 * no password in any binlog, relay log or archived binlog; no agent secret in mariadbd's environment; mariadbd
 * runs as {@code mysql} with file import/export locked down; the object store is not readable by other users.
 * docs/security.md maps each issue-13 point to the method here that tests it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class SecretHygieneTest {
    private static final String AWS_SECRET = "aws-secret-probe-0123456789";
    private static final List<String> SECRETS = List.of(TestCluster.ROOT_PASSWORD, "repl-secret-123", "monitor-secret-123",
            "backup-secret-123", AgentNode.APP_PASSWORD, TestCluster.CLUSTER_TOKEN);

    private static TestCluster cluster;
    private static Path root;
    private static Path objects;

    @BeforeAll
    static void startCluster() throws Exception {
        root = TestCluster.tempRoot("SecretHygieneTest");
        objects = Files.createDirectories(root.resolve("objects"));
        cluster = new TestCluster("hygiene", "127.0.41", root)
                .withEnv("AUTOPILOT_BACKUP_DIRECTORY", objects.toString())
                .withEnv("AUTOPILOT_BACKUP_INTERVAL", "1h")
                .withEnv("AUTOPILOT_BACKUP_ARCHIVE_INTERVAL", "10s")
                .withEnv("AWS_SECRET_ACCESS_KEY", AWS_SECRET);
        cluster.assemble(2);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void noPasswordInAnyBinlogRelayLogOrArchivedBinlog() throws Exception {
        AgentNode primary = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(10));
        try (Connection c = primary.rootConnection(TestCluster.ROOT_PASSWORD); Statement s = c.createStatement()) {
            s.execute("FLUSH BINARY LOGS"); // closes the bootstrap's binlog, so the archiver takes it
        }
        await("the bootstrap's binlog archived").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500))
                .until(() -> !archivedBinlogs().isEmpty());

        List<Path> logs = new ArrayList<>();
        for (AgentNode node : cluster.nodes()) {
            try (Stream<Path> files = Files.list(node.home.resolve("data/mysql"))) {
                files.filter(p -> p.getFileName().toString().matches("(binlog|relay-bin)\\.\\d+")).forEach(logs::add);
            }
        }
        Path plain = Files.createDirectories(root.resolve("archived-plain"));
        for (Path zst : archivedBinlogs()) {
            Path out = plain.resolve(zst.getFileName().toString().replace(".zst", ""));
            run(List.of("zstd", "-q", "-f", "-d", zst.toString(), "-o", out.toString()));
            logs.add(out);
        }
        assertThat(logs).as("binlogs of both members and the archive").hasSizeGreaterThanOrEqualTo(3);
        for (Path log : logs) {
            String raw = new String(Files.readAllBytes(log), StandardCharsets.ISO_8859_1);
            String decoded = run(List.of("mariadb-binlog", "--verbose", "--verbose", log.toString()));
            for (String secret : SECRETS) {
                assertThat(raw).as("bytes of " + log).doesNotContain(secret);
                assertThat(decoded).as("mariadb-binlog of " + log).doesNotContain(secret);
            }
        }
    }

    @Test
    @Order(2)
    void mariadbdInheritsNoAgentOrCloudSecretFromTheAgent() throws Exception {
        for (AgentNode node : cluster.nodes()) {
            long pid = node.mariadbd().orElseThrow(() -> new AssertionError(node.name + " runs no mariadbd")).pid();
            String environ = Files.readString(Path.of("/proc", Long.toString(pid), "environ"), StandardCharsets.ISO_8859_1);
            List<String> names = Stream.of(environ.split("\0")).map(v -> v.split("=", 2)[0]).toList();
            assertThat(names).as("environment of " + node.name + "'s mariadbd").isNotEmpty()
                    .noneMatch(n -> n.startsWith("AUTOPILOT_") || n.startsWith("AWS_"));
            assertThat(environ).doesNotContain(AWS_SECRET);
        }
    }

    @Test
    @Order(3)
    void mariadbdRunsAsMysqlWithoutFileImportOrExportAnywhere() throws Exception {
        for (AgentNode node : cluster.nodes()) {
            ProcessHandle server = node.mariadbd().orElseThrow(() -> new AssertionError(node.name + " runs no mariadbd"));
            String status = Files.readString(Path.of("/proc", Long.toString(server.pid()), "status"));
            String uid = status.lines().filter(l -> l.startsWith("Uid:")).findFirst().orElseThrow().split("\\s+")[1];
            assertThat(Files.readString(Path.of("/etc/passwd")).lines()).as("uid " + uid + " of " + node.name + "'s mariadbd")
                    .anyMatch(l -> l.startsWith("mysql:x:" + uid + ":"));
            try (Connection c = node.rootConnection(TestCluster.ROOT_PASSWORD); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT @@secure_file_priv, @@local_infile")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).as("secure_file_priv").isNotNull().isNotEmpty().startsWith(node.home.toString());
                assertThat(rs.getInt(2)).as("local_infile").isZero();
            }
        }
    }

    @Test
    @Order(4)
    void snapshotsAndArchivedBinlogsAreNotReadableByOtherUsers() throws Exception {
        AgentNode primary = Scenarios.awaitPrimary(cluster, Duration.ofSeconds(10));
        Scenarios.takeSnapshot(cluster, primary);
        Set<PosixFilePermission> others = Set.of(PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE,
                PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.GROUP_WRITE);
        List<Path> checked = new ArrayList<>();
        try (Stream<Path> all = Files.walk(objects)) {
            for (Path p : all.filter(p -> !p.equals(objects)).toList()) {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
                assertThat(perms).as(p + " is " + java.nio.file.attribute.PosixFilePermissions.toString(perms)).doesNotContainAnyElementsOf(others);
                if (Files.isRegularFile(p)) {
                    assertThat(perms).as(p + " is a file, never executable").doesNotContain(PosixFilePermission.OWNER_EXECUTE,
                            PosixFilePermission.GROUP_EXECUTE);
                }
                checked.add(p);
            }
        }
        assertThat(checked).anyMatch(p -> p.toString().contains("snapshot")).anyMatch(p -> p.toString().contains("binlogs"));
    }

    @Test
    @Order(5)
    void secretFilesOpenToOtherUsersDrawAWarningNamingTheFix() throws Exception {
        // TestCluster writes the secret files with the default umask: readable by everyone.
        Path token = cluster.secrets.resolve("cluster-token");
        assertThat(Files.getPosixFilePermissions(token)).contains(PosixFilePermission.OTHERS_READ);
        for (AgentNode node : cluster.nodes()) {
            assertThat(node.logContains("secret file " + token + " is rw-r--r--")).as(node.logTail(60)).isTrue();
            assertThat(node.logContains("chmod 600 " + token)).isTrue();
        }
    }

    private static List<Path> archivedBinlogs() throws IOException {
        Path dir = objects.resolve("binlogs");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".zst")).sorted().toList();
        }
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + ": " + out).isZero();
        return out;
    }
}
