package dev.autopilot.mysql.testing;

import dev.autopilot.mysql.admin.ConnectionTarget;
import dev.autopilot.mysql.admin.DatabaseAdmin;
import dev.autopilot.mysql.auth.Credentials;
import dev.autopilot.mysql.config.ServerSettings;
import dev.autopilot.mysql.server.DataDirectory;
import dev.autopilot.mysql.server.LocalServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A real, small mariadbd for one test class: its own data directory under target/it, its own
 * 127.0.4.N address (this module's loopback subnet), port 3306, 32 MiB buffer pool, 8 MiB redo log.
 * {@link #close()} kills the server and deletes the directory.
 */
public final class ServerFixture implements AutoCloseable {

    /** Base for every wait in these tests. */
    public static final Duration START_DEADLINE = Duration.ofSeconds(60);

    static {
        killLeftovers(); // at class initialisation: before this JVM starts any server of its own
    }

    private final Path root;
    private final LocalServer server;
    private Credentials rootCredentials = Credentials.of("root", "");

    private ServerFixture(Path root, LocalServer server) {
        this.root = root;
        this.server = server;
    }

    /** Settings for a test server at {@code 127.0.4.<host>} in a fresh, uninitialised directory. */
    public static ServerSettings settings(String name, int host) {
        Path root = Path.of("target", "it", name + "-" + UUID.randomUUID().toString().substring(0, 8)).toAbsolutePath();
        Path dataDir = root.resolve("data");
        var identity = DataDirectory.claim(dataDir);
        return ServerSettings.defaults(identity, dataDir, root.resolve("run"), "127.0.4." + host, 3306)
                .withMemory(32L << 20, 8L << 20)
                .withExtraOptions(Map.of("max_connections", "40"));
    }

    /**
     * As {@link #settings(String, int)}, with the system tables copied from a template initialised once
     * per JVM: mariadb-install-db takes seconds on a loaded machine, a copy takes milliseconds.
     * (LocalServerTest covers the real initialisation path.)
     */
    public static ServerSettings initialisedSettings(String name, int host) {
        ServerSettings s = settings(name, host);
        copyTree(template(), s.dataDir());
        return s;
    }

    private static Path template;

    private static synchronized Path template() {
        if (template == null) {
            ServerSettings t = settings("template", 254);
            new LocalServer(t).initialise(START_DEADLINE);
            try {
                Files.delete(t.dataDir().resolve(dev.autopilot.mysql.config.MemberIdentity.FILE_NAME));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            template = t.dataDir();
        }
        return template;
    }

    /**
     * A JVM killed mid-test (no shutdown hooks) leaves its mariadbd children running on our addresses.
     * Kill those, by the pid each wrote into its own run directory, and only when that pid is still a
     * mariadbd started with that directory's option file.
     */
    private static void killLeftovers() {
        Path it = Path.of("target", "it").toAbsolutePath();
        if (!Files.isDirectory(it)) {
            return;
        }
        try (Stream<Path> dirs = Files.list(it)) {
            for (Path dir : (Iterable<Path>) dirs::iterator) {
                Path pidFile = dir.resolve("run").resolve("mysqld.pid");
                if (!Files.exists(pidFile)) {
                    deleteTree(dir);
                    continue;
                }
                long pid = Long.parseLong(Files.readString(pidFile).strip());
                String optionFile = "--defaults-file=" + dir.resolve("run").resolve("my.cnf");
                ProcessHandle.of(pid)
                        .filter(h -> h.info().arguments().map(a -> java.util.Arrays.asList(a).contains(optionFile)).orElse(false))
                        .ifPresent(h -> {
                            h.destroyForcibly();
                            h.onExit().join();
                        });
                deleteTree(dir);
            }
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException("cannot clean up leftover test servers under " + it, e);
        }
    }

    private static void copyTree(Path from, Path to) {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Initialises and starts a server at {@code 127.0.4.<host>}. */
    public static ServerFixture start(String name, int host) {
        return start(initialisedSettings(name, host));
    }

    public static ServerFixture start(ServerSettings settings) {
        LocalServer server = new LocalServer(settings);
        ServerFixture fixture = new ServerFixture(settings.dataDir().getParent(), server);
        try {
            server.initialise(START_DEADLINE);
            server.start(START_DEADLINE);
        } catch (RuntimeException e) {
            fixture.close();
            throw e;
        }
        return fixture;
    }

    public LocalServer server() {
        return server;
    }

    public ServerSettings settings() {
        return server.settings();
    }

    public String host() {
        return settings().bindAddress();
    }

    public int port() {
        return settings().port();
    }

    /** Records the root password after a bootstrap changed it. */
    public void rootPassword(Credentials root) {
        this.rootCredentials = root;
    }

    /** A new admin connection as root through the unix socket. */
    public DatabaseAdmin rootAdmin() {
        return new DatabaseAdmin(ConnectionTarget.socket(settings().socket(), rootCredentials));
    }

    /** A new admin connection over TCP with the given account. */
    public DatabaseAdmin admin(Credentials credentials) {
        return new DatabaseAdmin(ConnectionTarget.tcp(host(), port(), credentials));
    }

    @Override
    public void close() {
        server.kill();
        if (System.getenv("AUTOPILOT_KEEP_TEST_DATA") == null) {
            deleteTree(root);
        }
    }

    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
