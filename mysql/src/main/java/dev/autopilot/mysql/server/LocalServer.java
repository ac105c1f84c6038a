package dev.autopilot.mysql.server;

import dev.autopilot.mysql.config.OptionFile;
import dev.autopilot.mysql.config.ServerSettings;
import dev.autopilot.supervisor.process.ChildEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One mariadbd on one data directory. Two ways to run it:
 * <ul>
 *   <li>{@link #command()} gives the argv for a supervisor to run as a job (the agent's way);</li>
 *   <li>{@link #start(Duration)} / {@link #stop(Duration)} run it as a child of this JVM (tests, tools).</li>
 * </ul>
 * The option file is rendered from {@link ServerSettings} at {@link #writeOptionFile()}; the server always
 * starts read-only with replication stopped. It runs as the {@link ServerAccount} ({@code mysql} when this process is
 * root), may read and write files only in {@link #secureFileDir()} ({@code secure_file_priv}) and never reads a
 * client's files ({@code local_infile=OFF}). Children get the environment without the agent's secrets
 * ({@link ChildEnvironment}). Not thread-safe: one owner drives it.
 */
public final class LocalServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LocalServer.class);

    private final ServerSettings settings;
    private final Path optionFile;
    private final Path mariadbd;
    private final Path installDb;
    private final ServerAccount account;
    private Process process;
    private Thread shutdownHook;

    /** A server using {@code /usr/sbin/mariadbd} and {@code mariadb-install-db} from the PATH. */
    public LocalServer(ServerSettings settings) {
        this(settings, settings.runDir().resolve("my.cnf"), Path.of("/usr/sbin/mariadbd"), Path.of("mariadb-install-db"));
    }

    public LocalServer(ServerSettings settings, Path optionFile, Path mariadbd, Path installDb) {
        this(settings, optionFile, mariadbd, installDb, ServerAccount.detect().reaching(settings.dataDir()));
    }

    public LocalServer(ServerSettings settings, Path optionFile, Path mariadbd, Path installDb, ServerAccount account) {
        this.settings = settings;
        this.optionFile = optionFile;
        this.mariadbd = mariadbd;
        this.installDb = installDb;
        this.account = account;
    }

    public ServerSettings settings() {
        return settings;
    }

    public Path optionFile() {
        return optionFile;
    }

    /**
     * Creates the system tables when the data directory is not initialised yet. The directory must be
     * owned by this member (see {@link DataDirectory#claim}); a foreign non-empty directory is refused.
     *
     * @return true when it initialised, false when the directory already was
     */
    public boolean initialise(Duration deadline) {
        Path dir = settings.dataDir();
        var owner = dev.autopilot.mysql.config.MemberIdentity.load(dir);
        if (owner.isEmpty() && !DataDirectory.isEmpty(dir)) {
            DataDirectory.claim(dir); // throws the "not ours" error
        }
        if (owner.isPresent() && !owner.get().equals(settings.identity())) {
            throw new ServerStartException("data directory " + dir + " belongs to " + owner.get() + ", not " + settings.identity()
                    + ": refusing to initialise it");
        }
        if (DataDirectory.isInitialised(dir)) {
            return false;
        }
        settings.identity().store(dir);
        List<String> argv = new ArrayList<>(List.of(installDb.toString(), "--no-defaults", "--datadir=" + dir));
        argv.addAll(account.userOption());
        argv.addAll(List.of("--auth-root-authentication-method=normal", "--skip-test-db",
                "--innodb-log-file-size=" + settings.redoLogBytes(),
                "--innodb-buffer-pool-size=" + settings.bufferPoolBytes()));
        Path log = settings.runDir().resolve("install-db.log");
        try {
            Files.createDirectories(settings.runDir());
            account.own(dir);
            ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile());
            ChildEnvironment.scrub(pb.environment());
            Process p = pb.start();
            if (!p.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new ServerStartException("mariadb-install-db on " + dir + " did not finish within " + deadline + "; output:\n" + tail(log, 20));
            }
            if (p.exitValue() != 0) {
                throw new ServerStartException("mariadb-install-db on " + dir + " failed with exit code " + p.exitValue() + ":\n" + tail(log, 20));
            }
        } catch (IOException e) {
            throw new ServerStartException("cannot run " + installDb + " (is mariadb-server installed?): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServerStartException("interrupted while initialising " + dir, e);
        }
        LOG.info("Initialised data directory {} for {}", dir, settings.identity());
        return true;
    }

    /**
     * Renders the option file and hands the data, run and file directories to the server's account (the agent
     * writes into them as itself: restores, clones, backups); called by {@link #start} and before handing
     * {@link #command()} to a supervisor.
     */
    public Path writeOptionFile() {
        Path written = OptionFile.write(withReadableTlsFiles(), optionFile);
        try {
            Files.createDirectories(secureFileDir(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new ServerStartException("cannot create " + secureFileDir() + " (secure_file_priv): " + e.getMessage(), e);
        }
        account.own(settings.dataDir());
        account.own(settings.runDir());
        return written;
    }

    /**
     * The settings to render, with the TLS files ({@code ssl_ca}, {@code ssl_cert}, {@code ssl_key}) the server reads as
     * its own account. An agent running as root is usually given files only root can read (a mounted secret, a 0600
     * key); mariadbd, switched to {@code mysql}, would fail to start on them with a bare SSL error. So a root agent
     * copies them, private to the server's account, into {@code tls/} in the run directory (outside the data
     * directory: never in a backup or clone) on every start, which also picks up rotated certificates.
     */
    private ServerSettings withReadableTlsFiles() {
        Map<String, String> options = settings.extraOptions();
        if (!account.switchesUser() || TLS_FILE_OPTIONS.stream().noneMatch(options::containsKey)) {
            return settings;
        }
        Path dir = settings.runDir().resolve("tls");
        Map<String, String> staged = new HashMap<>(options);
        for (String option : TLS_FILE_OPTIONS) {
            String file = options.get(option);
            if (file != null) {
                staged.put(option, account.copyPrivate(Path.of(file), dir.resolve(option + ".pem"), option).toString());
            }
        }
        return settings.withExtraOptions(staged);
    }

    private static final List<String> TLS_FILE_OPTIONS = List.of("ssl_ca", "ssl_cert", "ssl_key");

    /**
     * The only directory the server may read or write files in ({@code LOAD DATA INFILE}, {@code SELECT ... INTO
     * OUTFILE}): {@code files/} in the run directory, private to the server's account.
     */
    public Path secureFileDir() {
        return settings.runDir().resolve("files");
    }

    /**
     * The argv that runs this server in the foreground: {@code mariadbd --defaults-file=<file>}, as the server's
     * account ({@code --user=mysql} when this process is root), with file access confined to {@link #secureFileDir()}
     * and {@code LOAD DATA LOCAL} off. Given on the command line, so they win over any option file.
     */
    public List<String> command() {
        List<String> argv = new ArrayList<>(List.of(mariadbd.toString(), "--defaults-file=" + optionFile));
        argv.addAll(account.userOption());
        argv.add("--secure-file-priv=" + secureFileDir());
        argv.add("--local-infile=0");
        return List.copyOf(argv);
    }

    /**
     * Starts mariadbd as a child process and waits until it accepts connections.
     *
     * @throws ServerStartException when the port is taken, the process exits, or the deadline passes;
     *                              the message includes the tail of the error log
     */
    public void start(Duration deadline) {
        if (isRunning()) {
            throw new IllegalStateException("server on " + settings.dataDir() + " is already running (pid " + process.pid() + ")");
        }
        requirePortFree();
        if (!DataDirectory.isInitialised(settings.dataDir())) {
            throw new ServerStartException("data directory " + settings.dataDir() + " is not initialised: call initialise() first");
        }
        writeOptionFile();
        long logOffset = size(settings.errorLog());
        Instant until = Instant.now().plus(deadline);
        try {
            Files.createDirectories(settings.runDir());
            ProcessBuilder pb = new ProcessBuilder(command()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(settings.runDir().resolve("mariadbd.out").toFile()));
            ChildEnvironment.scrub(pb.environment());
            process = pb.start();
        } catch (IOException e) {
            throw new ServerStartException("cannot run " + mariadbd + ": " + e.getMessage(), e);
        }
        Process p = process;
        shutdownHook = Thread.ofPlatform().name("mariadbd-kill-" + p.pid()).unstarted(p::destroyForcibly);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        while (true) {
            if (!p.isAlive()) {
                forget();
                throw new ServerStartException("mariadbd on " + address() + " exited with code " + p.exitValue()
                        + " while starting; error log " + settings.errorLog() + " ends with:\n" + tail(settings.errorLog(), 25));
            }
            if (logSince(logOffset).contains("ready for connections") && accepts()) {
                LOG.info("mariadbd for {} is accepting connections on {} (pid {})", settings.identity(), address(), p.pid());
                return;
            }
            if (Instant.now().isAfter(until)) {
                kill();
                throw new ServerStartException("mariadbd on " + address() + " did not accept connections within " + deadline
                        + " and was killed; error log ends with:\n" + tail(settings.errorLog(), 25));
            }
            try {
                Thread.sleep(50); // polling interval for a child process's readiness, not a stand-in for a condition
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                kill();
                throw new ServerStartException("interrupted while starting mariadbd on " + address(), e);
            }
        }
    }

    /** Stops gracefully (SIGTERM), then kills after {@code timeout}. No-op when not running. */
    public void stop(Duration timeout) {
        Process p = process;
        if (p == null) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("mariadbd on {} did not stop within {}; killing it", address(), timeout);
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
        forget();
    }

    /** Kills the server at once (SIGKILL), as a crash would. No-op when not running. */
    public void kill() {
        Process p = process;
        if (p == null) {
            return;
        }
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        forget();
    }

    /** Sends SIGSTOP / SIGCONT, freezing the server like a long pause (for tests of stalls). */
    public void pause(boolean paused) {
        Process p = process;
        if (p == null) {
            throw new IllegalStateException("server on " + address() + " is not running");
        }
        try {
            new ProcessBuilder("kill", paused ? "-STOP" : "-CONT", Long.toString(p.pid())).start().waitFor();
            // Delivery is asynchronous: return only once the kernel reports the new state.
            Instant until = Instant.now().plusSeconds(5);
            while (stopped(p.pid()) != paused) {
                if (Instant.now().isAfter(until)) {
                    throw new IllegalStateException("mariadbd (pid " + p.pid() + ") did not become " + (paused ? "stopped" : "running") + " within 5 s");
                }
                Thread.sleep(5);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** State field of /proc/PID/stat: T (stopped by a signal) or t (traced). */
    private static boolean stopped(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        char state = stat.charAt(stat.lastIndexOf(')') + 2);
        return state == 'T' || state == 't';
    }

    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** The child process, when started by {@link #start}. */
    public Optional<ProcessHandle> process() {
        return Optional.ofNullable(process).map(Process::toHandle);
    }

    /** The last {@code lines} lines of the server's error log (empty when there is none). */
    public String errorLogTail(int lines) {
        return tail(settings.errorLog(), lines);
    }

    public String address() {
        return settings.bindAddress() + ":" + settings.port();
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(30));
    }

    private void forget() {
        if (shutdownHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // JVM already shutting down: the hook is running or ran
            }
            shutdownHook = null;
        }
        process = null;
    }

    /** A server started with {@code skip_networking} listens on its socket only (see PointInTimeRestore's private server). */
    private boolean socketOnly() {
        String value = settings.extraOptions().getOrDefault("skip_networking", settings.extraOptions().getOrDefault("skip-networking", "OFF"));
        return List.of("ON", "1", "TRUE").contains(value.toUpperCase(java.util.Locale.ROOT));
    }

    private void requirePortFree() {
        if (socketOnly()) {
            return;
        }
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(settings.bindAddress(), settings.port()));
        } catch (IOException e) {
            throw new ServerStartException("cannot start mariadbd: " + address() + " is not available (" + e.getMessage()
                    + "). Another server is using it, or the address is not configured; stop it or choose another bindAddress/port");
        }
    }

    private boolean accepts() {
        if (socketOnly()) {
            try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(settings.socket()))) {
                return c.isConnected();
            } catch (IOException e) {
                return false;
            }
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(settings.bindAddress(), settings.port()), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static long size(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private String logSince(long offset) {
        Path file = settings.errorLog();
        if (!Files.exists(file)) {
            return "";
        }
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long len = f.length();
            if (len <= offset) {
                return "";
            }
            byte[] buf = new byte[(int) Math.min(len - offset, 1 << 20)];
            f.seek(offset);
            f.readFully(buf);
            return new String(buf, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    static String tail(Path file, int lines) {
        try {
            if (!Files.exists(file)) {
                return "(no file " + file + ")";
            }
            // Lenient decoding: an error log can hold bytes that are not UTF-8.
            List<String> all = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).lines().toList();
            return String.join("\n", new ArrayList<>(all.subList(Math.max(0, all.size() - lines), all.size())));
        } catch (IOException | UncheckedIOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }
}
