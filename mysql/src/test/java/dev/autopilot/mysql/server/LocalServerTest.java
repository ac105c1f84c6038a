package dev.autopilot.mysql.server;

import dev.autopilot.mysql.admin.DatabaseAdmin;
import dev.autopilot.mysql.auth.ClientOptionFile;
import dev.autopilot.mysql.auth.Credentials;
import dev.autopilot.mysql.config.MemberIdentity;
import dev.autopilot.mysql.config.ServerSettings;
import dev.autopilot.mysql.testing.ServerFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** One real mariadbd at 127.0.4.1 for the class; failing starts use 127.0.4.2 and 127.0.4.1. About 15 s. */
@Timeout(120)
class LocalServerTest {

    static ServerFixture fixture;
    static DatabaseAdmin admin;

    @BeforeAll
    static void startServer() {
        fixture = ServerFixture.start(ServerFixture.settings("local", 1)); // uninitialised: runs mariadb-install-db
        admin = fixture.rootAdmin();
    }

    @AfterAll
    static void stopServer() {
        if (admin != null) admin.close();
        if (fixture != null) fixture.close();
    }

    @Test
    void renderedOptionFileStartsServerWithCrashSafeReadOnlySettings() {
        Map<String, String> v = admin.queryRows("SELECT @@server_id AS server_id, @@read_only AS read_only,"
                + " @@gtid_strict_mode AS strict, @@sync_binlog AS sync_binlog, @@innodb_flush_log_at_trx_commit AS flush,"
                + " @@relay_log_recovery AS relay_recovery, @@binlog_format AS fmt, @@log_slave_updates AS lsu,"
                + " @@log_bin AS log_bin, @@report_host AS report_host,"
                + " @@innodb_buffer_pool_size AS pool, @@skip_name_resolve AS snr").getFirst();
        assertThat(v).containsEntry("server_id", Long.toString(fixture.settings().identity().serverId()))
                .containsEntry("read_only", "1").containsEntry("strict", "1").containsEntry("sync_binlog", "1")
                .containsEntry("flush", "1").containsEntry("relay_recovery", "1").containsEntry("fmt", "ROW")
                .containsEntry("lsu", "1").containsEntry("log_bin", "1")
                .containsEntry("report_host", "127.0.4.1").containsEntry("pool", Long.toString(32L << 20))
                .containsEntry("snr", "1");
        assertThat(admin.serverVersion().toString()).startsWith("MariaDB 10.11");
    }

    @Test
    void initialiseCreatedSystemTablesBesideTheIdentityFile() {
        assertThat(DataDirectory.isInitialised(fixture.settings().dataDir())).isTrue();
        assertThat(MemberIdentity.load(fixture.settings().dataDir())).contains(fixture.settings().identity());
        assertThat(admin.queryLong("SELECT COUNT(*) FROM mysql.user WHERE User='root'")).isPositive();
    }

    @Test
    void commandRunsServerInForegroundWithRenderedFile() {
        List<String> expected = new ArrayList<>(List.of("/usr/sbin/mariadbd", "--defaults-file=" + fixture.server().optionFile()));
        expected.addAll(ServerAccount.detect().userOption()); // --user=mysql when these tests run as root, else nothing
        expected.addAll(List.of("--secure-file-priv=" + fixture.server().secureFileDir(), "--local-infile=0"));
        assertThat(fixture.server().command()).containsExactlyElementsOf(expected);
        assertThat(new LocalServer(fixture.settings(), fixture.server().optionFile(), Path.of("/usr/sbin/mariadbd"),
                Path.of("mariadb-install-db"), ServerAccount.current()).command()).as("an agent that is not root runs it as itself")
                .noneMatch(arg -> arg.startsWith("--user"));
        assertThat(fixture.server().optionFile()).content().contains("server_id = " + fixture.settings().identity().serverId());
    }

    @Test
    void restartKeepsIdentityReturnsReadOnlyAndAdminReconnects() {
        long serverId = admin.queryLong("SELECT @@server_id");
        admin.readOnly(false);
        assertThat(admin.isReadOnly()).isFalse();

        fixture.server().stop(Duration.ofSeconds(30));
        assertThat(admin.ping()).isFalse();
        assertThat(fixture.server().initialise(ServerFixture.START_DEADLINE)).isFalse();
        fixture.server().start(ServerFixture.START_DEADLINE);

        assertThat(admin.ping()).isTrue(); // same admin object: reconnected by itself
        assertThat(admin.queryLong("SELECT @@server_id")).isEqualTo(serverId);
        assertThat(admin.isReadOnly()).isTrue();
        assertThat(MemberIdentity.load(fixture.settings().dataDir())).contains(fixture.settings().identity());
    }

    @Test
    void secondServerOnTheSameAddressFailsNamingTheAddress() {
        ServerSettings other = ServerFixture.settings("clash", 1);
        LocalServer clash = new LocalServer(other);
        try {
            assertThatThrownBy(() -> clash.start(ServerFixture.START_DEADLINE))
                    .isInstanceOf(ServerStartException.class)
                    .hasMessageContaining("127.0.4.1:3306 is not available");
            assertThat(clash.isRunning()).isFalse();
        } finally {
            clash.kill();
            ServerFixture.deleteTree(other.dataDir().getParent());
        }
    }

    @Test
    void serverThatCrashesOnStartReportsTheErrorLogTail() {
        ServerSettings bad = ServerFixture.initialisedSettings("crash", 2).withExtraOptions(Map.of("no_such_option", "1"));
        LocalServer crashing = new LocalServer(bad);
        try {
            assertThatThrownBy(() -> crashing.start(ServerFixture.START_DEADLINE))
                    .isInstanceOf(ServerStartException.class)
                    .hasMessageContaining("exited with code")
                    .hasMessageContaining("unknown variable 'no_such_option=1'");
            assertThat(crashing.isRunning()).isFalse();
        } finally {
            crashing.kill();
            ServerFixture.deleteTree(bad.dataDir().getParent());
        }
    }

    @Test
    void initialiseRefusesANonEmptyDirectoryOfAnotherMember() throws IOException {
        ServerSettings settings = ServerFixture.settings("foreign", 3);
        try {
            Files.delete(settings.dataDir().resolve(MemberIdentity.FILE_NAME));
            Files.writeString(settings.dataDir().resolve("ibdata1"), "not ours");
            LocalServer server = new LocalServer(settings);
            assertThatThrownBy(() -> server.initialise(ServerFixture.START_DEADLINE))
                    .isInstanceOf(ServerStartException.class).hasMessageContaining("will not touch it");
            assertThat(settings.dataDir().resolve("ibdata1")).hasContent("not ours");
            assertThat(settings.dataDir().resolve("mysql")).doesNotExist();
        } finally {
            ServerFixture.deleteTree(settings.dataDir().getParent());
        }
    }

    @Test
    void zeroLossOptionFileIsAcceptedByMariadbd() {
        ServerSettings zeroLoss = ServerFixture.initialisedSettings("zeroloss", 4)
                .withZeroLoss(true, Duration.ofSeconds(7)).withInitRplRole(ServerSettings.RplRole.SLAVE);
        try (ServerFixture server = ServerFixture.start(zeroLoss); DatabaseAdmin a = server.rootAdmin()) {
            Map<String, String> v = a.queryRows("SELECT @@rpl_semi_sync_master_enabled AS m, @@rpl_semi_sync_slave_enabled AS s,"
                    + " @@rpl_semi_sync_master_wait_point AS wp, @@rpl_semi_sync_master_timeout AS t, @@sync_relay_log AS srl").getFirst();
            assertThat(v).as("the primary side is switched on by the agent when it opens writes").containsEntry("m", "0").containsEntry("s", "1").containsEntry("wp", "AFTER_SYNC")
                    .containsEntry("t", "7000").containsEntry("srl", "1");
        }
    }

    @Test
    void commandLineToolAuthenticatesThroughPrivateOptionFile() throws Exception {
        String password = "pa ss\\\"word'";
        admin.execute("CREATE USER IF NOT EXISTS 'tool'@'localhost' IDENTIFIED BY " + dev.autopilot.mysql.flavor.Sql.literal(password));
        try (ClientOptionFile options = ClientOptionFile.forSocket(fixture.settings().runDir(), Credentials.of("tool", password),
                fixture.settings().socket())) {
            assertThat(Files.getPosixFilePermissions(options.path()))
                    .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
            Process p = new ProcessBuilder("mariadb-admin", options.argument(), "ping").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor()).as(out).isZero();
            assertThat(out).contains("mysqld is alive");
        }
    }

    @Test
    void tlsKeyOnlyRootCanReadIsHandedToTheServerAccount() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(ServerAccount.detect().switchesUser(), "only a root agent switches mariadbd's account");
        ServerSettings base = ServerFixture.initialisedSettings("tls", 5);
        Path certDir = base.dataDir().getParent().resolve("certs");
        var certs = dev.autopilot.testkit.tls.TestCertificates.create(certDir, base.bindAddress());
        for (Path file : List.of(certs.caFile(), certs.certFile(base.bindAddress()), certs.keyFile(base.bindAddress()))) {
            Files.setPosixFilePermissions(file, Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE)); // root only
        }
        Map<String, String> options = new java.util.HashMap<>(base.extraOptions());
        options.putAll(Map.of("ssl_ca", certs.caFile().toString(),
                "ssl_cert", certs.certFile(base.bindAddress()).toString(), "ssl_key", certs.keyFile(base.bindAddress()).toString()));
        ServerSettings tls = base.withExtraOptions(options);
        try (ServerFixture server = ServerFixture.start(tls); DatabaseAdmin a = server.rootAdmin()) {
            Map<String, String> v = a.queryRows("SELECT @@have_ssl AS have_ssl, @@ssl_key AS ssl_key").getFirst();
            assertThat(v).containsEntry("have_ssl", "YES");
            Path staged = Path.of(v.get("ssl_key"));
            assertThat(staged).startsWith(tls.runDir());
            assertThat(Files.getOwner(staged).getName()).isEqualTo(ServerAccount.MYSQL);
            assertThat(Files.getPosixFilePermissions(staged)).containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        } finally {
            ServerFixture.deleteTree(base.dataDir().getParent());
        }
    }
}
