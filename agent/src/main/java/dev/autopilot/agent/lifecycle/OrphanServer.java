package dev.autopilot.agent.lifecycle;

import dev.autopilot.mysql.admin.ConnectionTarget;
import dev.autopilot.mysql.admin.DatabaseAdmin;
import dev.autopilot.mysql.auth.Credentials;
import dev.autopilot.mysql.auth.Secret;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code mariadbd} still running on this member's data directory when the agent starts: left behind by an agent that
 * was killed outside a container (SIGKILL, OOM killer, a crash), where nothing stops the server with its parent. It may
 * still be writable — it may be the old primary — and it holds the port the agent's own server needs.
 *
 * <p>Before anything else the agent fences it (read-only, client sessions killed), then stops it with SIGTERM (a clean
 * InnoDB shutdown) and waits; only if it does not exit in time is it killed (crash recovery is safe, the binlog and redo
 * log are durable). The agent then starts the data directory under its own supervisor, read-only, like after any stop.
 *
 * <p>A process counts as this member's server only if it is a {@code mariadbd}/{@code mysqld} whose working directory
 * (the server changes into its data directory at start) or {@code --datadir} is this data directory; the pid file is
 * only where to look first. A process that cannot be proven to be ours is never signalled.
 */
public final class OrphanServer {
    private static final Logger LOG = LoggerFactory.getLogger(OrphanServer.class);
    private static final Duration CLEAN_STOP = Duration.ofSeconds(90);

    private final String member;
    private final Path dataDir;
    private final Path pidFile;
    private final Path socket;

    /**
     * @param dataDir the server's data directory ({@code member.dataDir}/mysql)
     * @param pidFile where the agent's server writes its pid
     * @param socket  the server's unix socket, for fencing
     */
    public OrphanServer(String member, Path dataDir, Path pidFile, Path socket) {
        this.member = member;
        this.dataDir = dataDir;
        this.pidFile = pidFile;
        this.socket = socket;
    }

    /** The server running on this data directory, if any. */
    public Optional<ProcessHandle> find() {
        Optional<Path> ours = realPath(dataDir);
        if (ours.isEmpty()) {
            return Optional.empty(); // no data directory: nothing can run on it
        }
        Optional<ProcessHandle> byPidFile = readPid().flatMap(ProcessHandle::of).filter(p -> servesDataDir(p, ours.get()));
        if (byPidFile.isPresent()) {
            return byPidFile;
        }
        // The pid file may be gone (deleted by hand, a different run directory): look at every server process.
        try (var all = ProcessHandle.allProcesses()) {
            return all.filter(OrphanServer::isServer).filter(p -> servesDataDir(p, ours.get())).findFirst();
        }
    }

    /**
     * Fences and stops the server left on the data directory, if there is one; returns whether there was.
     *
     * @param root the cluster's root account (a server whose bootstrap did not finish may still have an empty password)
     * @throws IllegalStateException when it cannot be stopped
     */
    public boolean takeOver(Credentials root) throws InterruptedException {
        Optional<ProcessHandle> found = find();
        if (found.isEmpty()) {
            return false;
        }
        ProcessHandle server = found.get();
        if (server.pid() == ProcessHandle.current().pid()) {
            return false;
        }
        LOG.warn("{}: mariadbd (pid {}, parent {}) is still running on data directory {}, left behind by an agent that did not"
                        + " stop it; fencing it (read-only, client sessions killed), then stopping it to run it under this agent",
                member, server.pid(), server.parent().map(p -> p.pid() + " " + p.info().command().orElse("?")).orElse("none"), dataDir);
        fence(root);
        stop(server);
        return true;
    }

    /** Best effort: the server is stopped next either way; fencing only closes the window until it has. */
    private void fence(Credentials root) {
        for (Credentials who : List.of(root, new Credentials(root.user(), Secret.of("")))) {
            try (DatabaseAdmin admin = new DatabaseAdmin(ConnectionTarget.socket(socket, who)
                    .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(5)))) {
                if (!admin.ping()) {
                    continue;
                }
                int killed = admin.fence(Set.of());
                LOG.info("{}: fenced the left-behind mariadbd: read-only, {} client session(s) killed", member, killed);
                return;
            } catch (RuntimeException e) {
                LOG.debug("{}: fencing the left-behind server as {} failed: {}", member, who.user(), e.toString());
            }
        }
        LOG.warn("{}: could not fence the left-behind mariadbd over {} (not answering, or root's password differs); stopping it"
                + " without", member, socket);
    }

    private void stop(ProcessHandle server) throws InterruptedException {
        server.destroy(); // SIGTERM: a clean shutdown that ends every session
        if (awaitExit(server, CLEAN_STOP)) {
            LOG.info("{}: the left-behind mariadbd (pid {}) stopped; next: start it under this agent's supervisor", member, server.pid());
            return;
        }
        LOG.warn("{}: the left-behind mariadbd (pid {}) did not stop within {} s of SIGTERM; killing it (InnoDB recovers at the"
                + " next start)", member, server.pid(), CLEAN_STOP.toSeconds());
        server.destroyForcibly();
        if (!awaitExit(server, Duration.ofSeconds(30))) {
            throw new IllegalStateException("mariadbd (pid " + server.pid() + ") on " + dataDir + " survived SIGKILL; stop it by"
                    + " hand, then start the agent again");
        }
    }

    private static boolean awaitExit(ProcessHandle p, Duration within) throws InterruptedException {
        try {
            p.onExit().get(within.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException | ExecutionException e) {
            return !p.isAlive();
        }
    }

    private Optional<Long> readPid() {
        try {
            return Optional.of(Long.parseLong(Files.readString(pidFile).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static boolean isServer(ProcessHandle p) {
        String command = p.info().command().map(c -> Path.of(c).getFileName().toString()).orElse("");
        return command.equals("mariadbd") || command.equals("mysqld");
    }

    /** Proof that {@code p} is a server on {@code dataDir}: its working directory, else its --datadir argument. */
    static boolean servesDataDir(ProcessHandle p, Path dataDir) {
        if (!isServer(p)) {
            return false;
        }
        Optional<Path> cwd = realPath(Path.of("/proc", Long.toString(p.pid()), "cwd"));
        if (cwd.isPresent()) {
            return cwd.get().equals(dataDir);
        }
        String[] args = p.info().arguments().orElse(new String[0]);
        for (String a : args) {
            if (a.startsWith("--datadir=") && realPath(Path.of(a.substring("--datadir=".length()))).filter(dataDir::equals).isPresent()) {
                return true;
            }
        }
        return false;
    }

    private static Optional<Path> realPath(Path p) {
        try {
            return Optional.of(p.toRealPath());
        } catch (IOException | SecurityException e) {
            return Optional.empty();
        }
    }
}
