package dev.autopilot.agent.db;

import dev.autopilot.agent.config.AgentConfig;
import dev.autopilot.agent.config.AgentConfigLoader;
import dev.autopilot.agent.config.ClusterSecrets;
import dev.autopilot.mysql.auth.Credentials;
import dev.autopilot.mysql.auth.Secret;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A member's {@link LocalDatabase} on a real, small {@code mariadbd} run as a child of the test JVM (root without a
 * password over the socket, 32 MiB buffer pool), with an {@code app} account (no SUPER) and table {@code app.t} for
 * client writes. Default lock settings: ttl 4 s, safety margin 1 s.
 */
final class RealServer {
    static final int PORT = 3306;

    private RealServer() {
    }

    static LocalDatabase start(String test, String address) {
        return start(test, address, Map.of());
    }

    /** @param settings more agent settings as environment variables, e.g. {@code AUTOPILOT_MYSQL_ZERO_LOSS=true} */
    static LocalDatabase start(String test, String address, Map<String, String> settings) {
        Path root = Path.of("target", "it", test).toAbsolutePath();
        deleteTree(root);
        AgentConfig config;
        try {
            Map<String, String> env = new HashMap<>(Map.of("AUTOPILOT_CLUSTER", "fencing", "AUTOPILOT_MEMBER_NAME", "db1",
                    "AUTOPILOT_MEMBER_ADDRESS", address, "AUTOPILOT_MEMBER_DATA_DIR", root.resolve("db1").toString(),
                    "AUTOPILOT_MYSQL_PORT", Integer.toString(PORT), "AUTOPILOT_MYSQL_BUFFER_POOL", "32"));
            env.putAll(settings);
            config = new AgentConfigLoader(env).load(Optional.empty());
        } catch (dev.autopilot.agent.config.InvalidConfigException e) {
            throw new IllegalStateException(e);
        }
        LocalDatabase db = new LocalDatabase(config, new ClusterSecrets(new Credentials("root", Secret.of("")),
                Credentials.of(ClusterSecrets.REPLICATION_USER, "r"), Credentials.of(ClusterSecrets.MONITOR_USER, "m"),
                Credentials.of(ClusterSecrets.BACKUP_USER, "b"), Optional.empty(), Secret.of("token-0123456789abcdef"),
                Secret.of("token-0123456789abcdef"), Optional.empty(), Optional.empty()));
        db.server().initialise(Duration.ofMinutes(2));
        db.server().start(Duration.ofMinutes(2));
        db.admin().execute("CREATE DATABASE IF NOT EXISTS app");
        db.admin().execute("CREATE TABLE IF NOT EXISTS app.t (id BIGINT PRIMARY KEY, v VARCHAR(20))");
        db.admin().execute("CREATE USER IF NOT EXISTS 'app'@'%' IDENTIFIED BY 'app-secret'");
        db.admin().execute("GRANT ALL ON app.* TO 'app'@'%'");
        return db;
    }

    /** Closes the database's connections and kills its server, if it was started. */
    static void stop(LocalDatabase db) throws IOException {
        if (db != null) {
            db.close();
            db.server().kill();
        }
    }

    /** A client session of the application account, over TCP. */
    static Connection app(LocalDatabase db) throws SQLException {
        return DriverManager.getConnection("jdbc:mariadb://" + db.server().settings().bindAddress() + ":" + PORT
                + "/app?user=app&password=app-secret&connectTimeout=5000");
    }

    private static void deleteTree(Path p) {
        if (!Files.exists(p)) {
            return;
        }
        try (var walk = Files.walk(p)) {
            walk.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
