package dev.autopilot.backup.clone;

import dev.autopilot.mysql.config.MemberIdentity;
import dev.autopilot.mysql.config.ServerSettings;
import dev.autopilot.mysql.server.LocalServer;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;

/**
 * One real mariadbd for the clone tests, on its own 127.0.5.N address, with small memory settings.
 * Statements go through the admin account over TCP; the accounts are created through the socket.
 */
final class TestNode implements AutoCloseable {

    static final String ADMIN_PASSWORD = "admin-pass-5";
    static final String BACKUP_PASSWORD = "backup-pass-5";
    static final String REPL_PASSWORD = "repl-pass-5";

    final String name;
    final ServerSettings settings;
    final LocalServer server;

    TestNode(Path base, String name, String address) {
        this(base, name, address, 32L << 20, 16L << 20);
    }

    TestNode(Path base, String name, String address, long bufferPool, long redoLog) {
        this.name = name;
        Path dir = base.resolve(name);
        this.settings = ServerSettings.defaults(MemberIdentity.random(), dir.resolve("data"), dir.resolve("run"), address, 3306)
                .withMemory(bufferPool, redoLog)
                .withExtraOptions(java.util.Map.of("tmpdir", dir.resolve("run").toString()));
        this.server = new LocalServer(settings);
    }

    /** Initialises, starts, opens writes and creates the cluster's accounts (admin, backup, replication). */
    void bootstrapPrimary() {
        server.initialise(Duration.ofSeconds(60));
        server.start(Duration.ofSeconds(60));
        rootOverSocket("SET GLOBAL read_only=OFF",
                "CREATE USER admin@'127.%' IDENTIFIED BY '" + ADMIN_PASSWORD + "'",
                "GRANT ALL ON *.* TO admin@'127.%' WITH GRANT OPTION",
                "CREATE USER backup@'127.%' IDENTIFIED BY '" + BACKUP_PASSWORD + "'",
                "GRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR, SLAVE MONITOR ON *.* TO backup@'127.%'",
                "CREATE USER repl@'127.%' IDENTIFIED BY '" + REPL_PASSWORD + "'",
                "GRANT REPLICATION SLAVE ON *.* TO repl@'127.%'");
    }

    /** The JDBC driver needs JNA for unix sockets, so the first accounts are made with the mariadb client. */
    private void rootOverSocket(String... statements) {
        try {
            Process p = new ProcessBuilder("mariadb", "--no-defaults", "-uroot", "--socket=" + settings.socket(),
                    "-e", String.join(";\n", statements)).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IllegalStateException(name + ": bootstrap statements failed: " + out);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** As the admin account over TCP (the account exists on the primary and on every copy of it). */
    Connection connect() throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "admin");
        p.setProperty("password", ADMIN_PASSWORD);
        p.setProperty("socketTimeout", "60000");
        return DriverManager.getConnection("jdbc:mariadb://" + settings.bindAddress() + ":" + settings.port() + "/", p);
    }

    void exec(String... statements) {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            for (String sql : statements) {
                s.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(name + ": " + e.getMessage(), e);
        }
    }

    String queryString(String sql) {
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(rs.getMetaData().getColumnCount()) : null;
        } catch (SQLException e) {
            throw new IllegalStateException(name + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        server.stop(Duration.ofSeconds(20));
    }
}
