package dev.autopilot.agent.it;

import dev.autopilot.agent.AgentMain;
import dev.autopilot.testkit.net.JavaCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One member of a test cluster: a real agent JVM (which runs a real mariadbd under its supervisor) on its
 * own 127.0.X.N address, with its own data directory. Kill, stop and restart it like an operator would.
 */
final class AgentNode implements AutoCloseable {
    static final String APP_USER = "app";
    static final String APP_PASSWORD = "app-secret-123";

    final String name;
    final String address;
    final Path home;
    private final Path config;
    private final Path log;
    private final Map<String, String> env;
    private Process process;
    /** Servers left running by {@link #crashAgentOnly()}, killed on close if still alive. */
    private final List<ProcessHandle> leftBehind = new ArrayList<>();
    private int storeTimeoutsHandled;

    AgentNode(String name, String address, Path root, String cluster, String etcdEndpoints, Path secrets, Map<String, String> env) {
        this(name, address, root.resolve(name), writeConfig(root.resolve(name), List.of(
                "cluster: " + cluster,
                "member:",
                "  name: " + name,
                "  address: " + address,
                "  dataDir: " + root.resolve(name).resolve("data"),
                "mysql:",
                "  bufferPool: 32",
                "  appUser: " + APP_USER,
                "  appDatabase: app",
                "coordination:",
                "  endpoints: [" + etcdEndpoints + "]",
                "failover:",
                "  startupGrace: 20s",
                "secrets:",
                "  dir: " + secrets)), env);
    }

    /** A member run with {@code config} (e.g. a file from deploy/) and {@code env}, at home {@code home}. */
    AgentNode(String name, String address, Path home, Path config, Map<String, String> env) {
        this.name = name;
        this.address = address;
        this.home = home;
        this.config = config;
        this.log = home.resolve("agent.log");
        this.env = Map.copyOf(env);
        try {
            Files.createDirectories(home);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path writeConfig(Path home, List<String> lines) {
        try {
            Files.createDirectories(home);
            return Files.write(home.resolve("agent.yaml"), lines);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The agents' JVM flags: {@code AGENT_JVM_FLAGS} when set (bench/agent-main.sh sets bin/jdk.sh's agent flags there,
     * so the benches measure the agent as it runs in production), else small test flags (C1 only: quick start).
     */
    static List<String> jvmFlags() {
        String production = System.getenv("AGENT_JVM_FLAGS");
        if (production != null && !production.isBlank()) {
            return List.of(production.strip().split("\\s+"));
        }
        return List.of("-Xmx160m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", "--enable-native-access=ALL-UNNAMED");
    }

    void start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " is already running");
        }
        List<String> cmd = JavaCommand.of(AgentMain.class, jvmFlags(), List.of("--config", config.toString()));
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().putAll(env);
            process = pb.redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Starts the agent and, as systemd's {@code Restart=on-failure} would, starts it again when it exits because the
     * store did not answer its first read within the agent's 10 s (seen on a heavily loaded test machine); returns once
     * the agent has connected to the store, or has exited for another reason (the test's assertions then report it).
     */
    void startRetryingStoreTimeouts(Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        int connected = occurrences("connected to etcd");
        start();
        while (System.nanoTime() < deadline && occurrences("connected to etcd") == connected) {
            if (!isRunning() && !restartIfStoreTimedOut()) {
                return;
            }
            try {
                Thread.sleep(200); // polling the agent's log
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Starts the agent again if it has exited because the store did not answer its first read in time (as systemd's
     * {@code Restart=on-failure} would); returns whether it did.
     */
    boolean restartIfStoreTimedOut() {
        if (process == null || process.isAlive()) {
            return false;
        }
        int timeouts = occurrences("unreachable at startup");
        if (timeouts <= storeTimeoutsHandled) {
            return false;
        }
        storeTimeoutsHandled = timeouts;
        start();
        return true;
    }

    private int occurrences(String text) {
        try {
            return Files.readString(log).split(java.util.regex.Pattern.quote(text), -1).length - 1;
        } catch (IOException e) {
            return 0;
        }
    }

    long pid() {
        return process.pid();
    }

    boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** kill -9 of the agent and its mariadbd: a node crash. */
    void crash() {
        if (process == null) {
            return;
        }
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        process.destroyForcibly();
        tree.forEach(ProcessHandle::destroyForcibly);
        waitFor(Duration.ofSeconds(10));
        for (ProcessHandle h : tree) {
            h.onExit().orTimeout(10, TimeUnit.SECONDS).join();
        }
    }

    /**
     * kill -9 of the agent JVM only, as when it crashes outside a container: its mariadbd (in its own process group) runs
     * on. Returns that server.
     */
    ProcessHandle crashAgentOnly() {
        ProcessHandle server = mariadbd().orElseThrow(() -> new IllegalStateException(name + " runs no mariadbd"));
        leftBehind.add(server);
        process.destroyForcibly();
        waitFor(Duration.ofSeconds(10));
        return server;
    }

    /** kill -9 of mariadbd only; the agent lives on. */
    void crashDatabase() {
        mariadbd().orElseThrow(() -> new IllegalStateException(name + " runs no mariadbd")).destroyForcibly();
    }

    Optional<ProcessHandle> mariadbd() {
        return process == null ? Optional.empty()
                : process.descendants().filter(h -> h.info().command().orElse("").endsWith("mariadbd")).findFirst();
    }

    /** SIGTERM and wait for the agent to exit; returns its exit code. */
    int stop(Duration timeout) {
        if (process == null || !process.isAlive()) {
            return process == null ? -1 : process.exitValue();
        }
        process.destroy();
        if (!waitFor(timeout)) {
            crash();
            throw new AssertionError(name + " did not stop within " + timeout + " after SIGTERM");
        }
        return process.exitValue();
    }

    private boolean waitFor(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** A connection as the application user over TCP (what a client sees). */
    Connection appConnection() throws SQLException {
        return DriverManager.getConnection("jdbc:mariadb://" + address + ":3306/app?connectTimeout=1000&socketTimeout=3000",
                APP_USER, APP_PASSWORD);
    }

    /** A root connection over the unix socket (for assertions only). */
    Connection rootConnection(String rootPassword) throws SQLException {
        return DriverManager.getConnection("jdbc:mariadb://localhost/?localSocket=" + home.resolve("data/run/mysqld.sock")
                + "&connectTimeout=1000&socketTimeout=5000", "root", rootPassword);
    }

    /** Whether the agent's whole log so far contains {@code text}. */
    boolean logContains(String text) {
        try {
            return Files.readString(log).contains(text);
        } catch (IOException e) {
            return false;
        }
    }

    String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        crash();
        for (ProcessHandle h : leftBehind) {
            h.destroyForcibly();
            h.onExit().orTimeout(10, TimeUnit.SECONDS).join();
        }
    }
}
