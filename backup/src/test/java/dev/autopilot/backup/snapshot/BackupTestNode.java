package dev.autopilot.backup.snapshot;

import dev.autopilot.mysql.admin.ConnectionTarget;
import dev.autopilot.mysql.admin.DatabaseAdmin;
import dev.autopilot.mysql.auth.Credentials;
import dev.autopilot.mysql.config.MemberIdentity;
import dev.autopilot.mysql.config.ServerSettings;
import dev.autopilot.mysql.server.LocalServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One real mariadbd for the snapshot tests, on its own 127.0.14.N address with small memory settings. The accounts
 * are made through the socket; statements then go through the admin account over TCP.
 */
public final class BackupTestNode implements AutoCloseable {

    public static final Credentials ADMIN = Credentials.of("admin", "admin-pass-14");
    public static final Credentials BACKUP = Credentials.of("backup", "backup-pass-14");
    public static final Credentials REPL = Credentials.of("repl", "repl-pass-14");

    public final String name;
    public final ServerSettings settings;
    public final LocalServer server;

    public BackupTestNode(Path base, String name, String address) {
        this.name = name;
        Path dir = base.resolve(name);
        this.settings = ServerSettings.defaults(MemberIdentity.random(), dir.resolve("data"), dir.resolve("run"), address, 3306)
                .withMemory(32L << 20, 16L << 20)
                .withExtraOptions(Map.of("tmpdir", dir.resolve("run").toString()));
        this.server = new LocalServer(settings);
    }

    /** Initialises, starts, opens writes and creates the cluster's accounts (admin, backup, replication). */
    public BackupTestNode bootstrapPrimary() {
        server.initialise(Duration.ofSeconds(60));
        server.start(Duration.ofSeconds(60));
        rootOverSocket("SET GLOBAL read_only=OFF",
                "CREATE USER admin@'127.%' IDENTIFIED BY '" + ADMIN.password().reveal() + "'",
                "GRANT ALL ON *.* TO admin@'127.%' WITH GRANT OPTION",
                "CREATE USER backup@'127.%' IDENTIFIED BY '" + BACKUP.password().reveal() + "'",
                "GRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR, SLAVE MONITOR ON *.* TO backup@'127.%'",
                "CREATE USER repl@'127.%' IDENTIFIED BY '" + REPL.password().reveal() + "'",
                "GRANT REPLICATION SLAVE ON *.* TO repl@'127.%'");
        return this;
    }

    private void rootOverSocket(String... statements) {
        try {
            Process p = new ProcessBuilder("mariadb", "--no-defaults", "-uroot", "--socket=" + settings.socket(),
                    "-e", String.join(";\n", statements)).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IllegalStateException(name + ": bootstrap statements failed: " + out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public DatabaseAdmin admin() {
        return new DatabaseAdmin(ConnectionTarget.tcp(settings.bindAddress(), settings.port(), ADMIN)
                .withTimeouts(Duration.ofSeconds(3), Duration.ofMinutes(2)));
    }

    public void exec(String... statements) {
        try (DatabaseAdmin admin = admin()) {
            for (String sql : statements) {
                admin.execute(sql);
            }
        }
    }

    /** Last column of the first row (CHECKSUM TABLE's checksum, COUNT(*), ...). */
    public String query(String sql) {
        try (DatabaseAdmin admin = admin()) {
            var rows = admin.queryRows(sql);
            if (rows.isEmpty()) {
                return null;
            }
            var row = rows.getFirst();
            return row.containsKey("Checksum") ? row.get("Checksum") : row.values().iterator().next();
        }
    }

    /** What mariabackup needs to back this node up. */
    public BackupTarget backupTarget(Path workDir) {
        return new BackupTarget(name, settings.bindAddress(), settings.port(), BACKUP, settings.dataDir(), workDir,
                "mariabackup", "zstd", 3, 2, Duration.ofSeconds(1));
    }

    @Override
    public void close() {
        server.stop(Duration.ofSeconds(20));
    }

    public static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
