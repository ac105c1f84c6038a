package dev.autopilot.agent.db;

import dev.autopilot.agent.config.AgentConfig;
import dev.autopilot.agent.config.ClusterSecrets;
import dev.autopilot.mysql.admin.ConnectionTarget;
import dev.autopilot.mysql.admin.DatabaseAdmin;
import dev.autopilot.mysql.auth.Credentials;
import dev.autopilot.mysql.auth.Secret;
import dev.autopilot.mysql.config.MemberIdentity;
import dev.autopilot.mysql.config.MemoryLimit;
import dev.autopilot.mysql.config.ServerSettings;
import dev.autopilot.mysql.server.DataDirectory;
import dev.autopilot.mysql.server.LocalServer;
import dev.autopilot.supervisor.health.HealthSpec;
import dev.autopilot.supervisor.job.JobSpec;
import dev.autopilot.supervisor.job.RestartPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This member's database: its rendered settings, its data directory, the supervisor job that runs
 * {@code mariadbd}, and two persistent admin connections over the unix socket — one for the HA loop, one
 * reserved for fencing so a busy loop can never delay turning the server read-only. The member's identity (and
 * with it the {@code server_id}) changes only in {@link #renewIdentity()}, when the data is replaced by a copy.
 */
public final class LocalDatabase implements AutoCloseable {
    /** Name of the supervisor job that runs the server. */
    public static final String JOB = "mariadbd";
    private static final Logger LOG = LoggerFactory.getLogger(LocalDatabase.class);

    private final AgentConfig config;
    private final ClusterSecrets secrets;
    private volatile MemberIdentity identity;
    private volatile LocalServer server;
    /** True while the identity is one this process created and no server has run with: nothing carries its server_id. */
    private volatile boolean identityUnused;
    private volatile DatabaseAdmin admin;
    private volatile DatabaseAdmin fencing;
    private DeadManSwitch deadManSwitch;
    /** The platform thread readings run on, kept between them; replaced when one stalls (see {@link #read()}). */
    private ExecutorService reader;
    private boolean closed;

    public LocalDatabase(AgentConfig config, ClusterSecrets secrets) {
        this.config = config;
        this.secrets = secrets;
        Path agentDir = config.member().dataDir();
        this.identityUnused = !Files.exists(agentDir.resolve(MemberIdentity.FILE_NAME));
        this.identity = loadOrCreateIdentity(agentDir);
        var m = config.member();
        ServerSettings settings = ServerSettings.defaults(identity, m.mysqlDataDir(), m.runDir(), m.address(), config.mysql().port())
                .withZeroLoss(config.mysql().zeroLoss(), config.mysql().semiSyncTimeout());
        if (config.mysql().zeroLoss()) {
            // A server restarting after a crash recovers as a replica would, truncating binlog transactions no replica
            // acknowledged instead of keeping them. (The primary side of semi-sync is switched on only in openWrites.)
            settings = settings.withInitRplRole(ServerSettings.RplRole.SLAVE);
        }
        if (config.mysql().bufferPoolBytes() > 0) {
            settings = settings.withMemory(config.mysql().bufferPoolBytes(), Math.max(8L << 20, config.mysql().bufferPoolBytes() / 4));
        } else {
            long pool = MemoryLimit.bufferPoolSize(MemoryLimit.detect(), OptionalLong.empty());
            settings = settings.withMemory(pool, Math.max(8L << 20, Math.min(96L << 20, pool / 4)));
        }
        if (config.mysql().tls().isPresent()) {
            AgentConfig.Tls tls = config.mysql().tls().get();
            // Every TCP client must use TLS (replicas, mariabackup, applications); the agent's socket connection is exempt.
            settings = settings.withExtraOptions(merged(settings.extraOptions(), Map.of("ssl_ca", tls.caFile().toString(),
                    "ssl_cert", tls.certFile().toString(), "ssl_key", tls.keyFile().toString(), "require_secure_transport", "ON")));
        }
        this.server = new LocalServer(settings);
    }

    private static Map<String, String> merged(Map<String, String> a, Map<String, String> b) {
        Map<String, String> all = new java.util.HashMap<>(a);
        all.putAll(b);
        return all;
    }

    /** The identity is kept beside (not inside) the data directory, so a copy cloned from a peer never brings the peer's. */
    private static MemberIdentity loadOrCreateIdentity(Path agentDir) {
        try {
            Files.createDirectories(agentDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create member.dataDir " + agentDir + ": " + e.getMessage(), e);
        }
        return MemberIdentity.load(agentDir).orElseGet(() -> {
            MemberIdentity id = MemberIdentity.random();
            id.store(agentDir);
            return id;
        });
    }

    public MemberIdentity identity() {
        return identity;
    }

    /**
     * Gives the member a new identity, and so a new {@code server_id}, before its data is replaced by a copy (a
     * snapshot or a live clone; call it before the server starts on the copy). The copy may be older than transactions
     * this member wrote under its old {@code server_id}; the primary's binlog holds them under that id, and a replica's
     * receiver skips every event that carries its own {@code server_id}, so the copy would never get them back.
     * Keeps an identity this process created that no server has used yet (a new member's first copy).
     */
    public synchronized void renewIdentity() {
        if (identityUnused) {
            return;
        }
        MemberIdentity previous = identity;
        MemberIdentity next = MemberIdentity.random();
        next.store(config.member().dataDir());
        identity = next;
        server = new LocalServer(server.settings().withIdentity(next));
        LOG.info("{}: new server_id {} (member {}) for the rebuilt copy (was {}): the copy may lack transactions this member"
                + " wrote under the old one, and replication skips events that carry the server's own server_id",
                config.member().name(), next.serverId(), next.hex(), previous.serverId());
    }

    public LocalServer server() {
        return server;
    }

    public Path dataDir() {
        return server.settings().dataDir();
    }

    /** True when the data directory holds an initialised server (ours). */
    public boolean isProvisioned() {
        return DataDirectory.isInitialised(dataDir());
    }

    /** The supervisor job that runs {@code mariadbd}: restarted always, with backoff; stopped by SIGTERM within 60 s. */
    public JobSpec job() {
        identityUnused = false; // from here on a server writes transactions under this server_id
        server.writeOptionFile();
        return JobSpec.command(JOB, server.command())
                .withRestart(RestartPolicy.of(RestartPolicy.Mode.ALWAYS, RestartPolicy.UNLIMITED, Duration.ofMillis(500), Duration.ofSeconds(10)))
                .withStop("SIGTERM", Duration.ofSeconds(60))
                .withHealth(HealthSpec.builtin(JOB, Duration.ofSeconds(1), Duration.ofSeconds(2)));
    }

    /** The admin connection of the HA loop (root over the socket). */
    public DatabaseAdmin admin() {
        DatabaseAdmin a = admin;
        if (a == null) {
            synchronized (this) {
                if (admin == null) {
                    admin = new DatabaseAdmin(socketTarget(secrets.root()));
                }
                a = admin;
            }
        }
        return a;
    }

    /** An admin connection as root without a password: only a freshly initialised server accepts it. */
    public DatabaseAdmin bootstrapAdmin() {
        return new DatabaseAdmin(socketTarget(new Credentials("root", Secret.of(""))));
    }

    private ConnectionTarget socketTarget(Credentials credentials) {
        return ConnectionTarget.socket(server.settings().socket(), credentials)
                .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(3));
    }

    /** Why the agent's own account cannot run a query right now, empty when it can. */
    public Optional<String> accessProblem() {
        try {
            admin().queryString("SELECT 1");
            return Optional.empty();
        } catch (RuntimeException e) {
            return Optional.ofNullable(e.getMessage());
        }
    }

    /**
     * One reading; never throws, and never takes much longer than the admin connection's query timeout: over the unix
     * socket the driver does not bound a read by its socket timeout, so a stalled or SIGSTOPped server would hold the
     * caller until it wakes up. A reading that does not finish in time reports the server unreachable, and the HA
     * loop's connection is abandoned to the stuck call (a fresh one serves the next call).
     */
    public DatabaseReading read() {
        DatabaseAdmin a = admin();
        Duration bound = a.target().queryTimeout().plus(a.target().connectTimeout());
        ExecutorService on;
        Future<DatabaseReading> reading;
        try {
            on = reader();
            reading = on.submit(() -> readNow(a));
        } catch (RejectedExecutionException e) {
            return DatabaseReading.unreachable("the agent is closing");
        }
        try {
            return reading.get(bound.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            synchronized (this) {
                if (admin == a) {
                    admin = null; // the stuck call keeps the old connection; it fails once the server wakes or dies
                }
                if (reader == on) {
                    reader = null; // and its thread: the next reading gets a new one
                }
            }
            on.shutdown();
            return DatabaseReading.unreachable("no answer within " + bound.toMillis() + " ms on " + server.settings().socket()
                    + " (server stalled or stopped?)");
        } catch (ExecutionException e) {
            return DatabaseReading.unreachable(String.valueOf(e.getCause() == null ? e : e.getCause().getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return DatabaseReading.unreachable("interrupted while reading the server");
        }
    }

    /**
     * A platform thread, so that a reading stuck in the driver (see {@link #read()}) cannot pin a carrier; one kept for
     * every reading rather than one started per reading, twice a second (issue 14 §1: thread start-up and teardown
     * showed in a profile of the idle agent).
     */
    private synchronized ExecutorService reader() {
        if (closed) {
            throw new RejectedExecutionException("closed");
        }
        if (reader == null) {
            reader = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("db-read-" + config.member().name()).factory());
        }
        return reader;
    }

    private DatabaseReading readNow(DatabaseAdmin a) {
        try {
            if (!a.ping()) {
                return DatabaseReading.unreachable("no answer to SELECT 1 on " + server.settings().socket());
            }
            DatabaseAdmin.GlobalState g = a.globalState();
            return new DatabaseReading(true, g.readOnly(), g.current(), g.binlogState(), g.slavePosition(),
                    a.replicationStatus(), a.serverVersion().toString(), "");
        } catch (RuntimeException e) {
            return DatabaseReading.unreachable(e.getMessage());
        }
    }

    /**
     * Self-fencing, bounded and escalating: makes sure no client can commit on this member's server any more, within
     * half the lock's safety margin ({@code lock.safetyMargin}) — or kills the server.
     *
     * <ol>
     *   <li>On the dedicated fencing connection (re-validated first: it may have died of {@code wait_timeout}), client
     *       sessions are killed (the agent's own accounts spared) and then {@code read_only} is tried without
     *       queueing, again and again until it is granted: {@code SET GLOBAL read_only} waits behind commits parked in
     *       the semi-sync wait and running write statements, and killing their sessions releases them. A last sweep
     *       kills sessions that connected meanwhile.</li>
     *   <li>When the server is not read-only within the bound (stalled, stopped, a statement that will not die), the
     *       {@code mariadbd} process is killed with SIGKILL; the supervisor restarts it, read-only as every start.</li>
     * </ol>
     * Also the way to make sure a server that does not answer (a ping times out, but the process is alive) cannot
     * accept writes before the leader lock is released: the result is {@link FenceResult.Kind#NOT_RUNNING} at once
     * when no server process exists, and otherwise one of the other kinds within about the safety margin.
     *
     * @param reason for the log: why this member fences
     * @return how writes were stopped; {@link FenceResult.Kind#FAILED} when they may not have been (never thrown)
     */
    public FenceResult fence(String reason) {
        long start = System.nanoTime();
        Duration bound = config.lock().safetyMargin().dividedBy(2);
        long deadline = start + bound.toNanos();
        FutureTask<Integer> attempt = new FutureTask<>(() -> closeWrites(deadline));
        // A platform thread of its own: the caller's wait below stays bounded whatever the JDBC call does.
        Thread.ofPlatform().daemon().name("fence-" + config.member().name()).start(attempt);
        String why;
        try {
            int killed = attempt.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            FenceResult done = new FenceResult(FenceResult.Kind.READ_ONLY, killed, since(start), "");
            LOG.info("{}: fenced ({}): {}", config.member().name(), reason, done);
            return done;
        } catch (TimeoutException e) {
            why = "not read-only within " + bound.toMillis() + " ms";
        } catch (ExecutionException e) {
            why = e.getCause() == null ? String.valueOf(e) : e.getCause().getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // still escalate: a fence is never abandoned half-way
            why = "interrupted while waiting for read_only";
        }
        return escalate(reason, why, start);
    }

    /**
     * The same as {@link #fence(String)}, for callers written before it: the number of client sessions killed, or 0
     * when the server was killed or not running.
     *
     * @throws IllegalStateException when the fence failed: the server may still accept writes
     * @deprecated use {@link #fence(String)}, whose result says how the fence ended
     */
    @Deprecated
    public int fence() {
        FenceResult result = fence("fence requested");
        if (!result.writesStopped()) {
            throw new IllegalStateException(config.member().name() + ": fence failed: " + result.detail());
        }
        return result.sessionsKilled();
    }

    /**
     * Zero-loss mode: a commit waiting this long for a semi-sync acknowledgement is not about to get one (a replica
     * acknowledges within a round trip), so the fence kills the server rather than the session (see closeWrites).
     */
    static final Duration PARKED_TOO_LONG = Duration.ofMillis(100);

    /** Kills client sessions and tries read_only until granted or {@code deadlineNanos}; returns the sessions killed. */
    private int closeWrites(long deadlineNanos) throws InterruptedException {
        DatabaseAdmin f = fencingAdmin();
        f.revalidate(Duration.ofSeconds(1));
        Set<String> spared = agentAccounts();
        if (config.mysql().zeroLoss()) {
            int parked = f.commitsParkedInSemiSyncWait(PARKED_TOO_LONG);
            if (parked > 0) {
                // Killing their sessions would commit them unacknowledged: visible here, "more advanced" in the next
                // election, and withdrawn again when a replica is promoted (reads gone backwards, fault campaign seed
                // 501). A killed server commits nothing: its restart (init_rpl_role=SLAVE) truncates them instead.
                throw new IllegalStateException(parked + " commit(s) parked in the semi-sync wait for " + PARKED_TOO_LONG.toMillis()
                        + " ms or more: no replica acknowledges, and killing their sessions would commit them unacknowledged");
            }
        }
        int killed = 0;
        while (true) {
            // Kill first: a commit parked in the semi-sync wait holds the lock read_only needs, and a killed session's
            // commit returns an error to its client instead of an acknowledgement.
            killed += f.killClientConnections(spared);
            if (f.tryReadOnly()) {
                break;
            }
            if (System.nanoTime() > deadlineNanos) {
                throw new IllegalStateException("read_only stayed blocked by commits or write statements");
            }
            Thread.sleep(10); // the killed sessions' threads need a moment to end; then kill again and retry
        }
        killed += f.killClientConnections(spared); // sessions that connected between the sweep and read_only
        if (!f.isReadOnly()) {
            throw new IllegalStateException("read_only was set but the server reports it off");
        }
        return killed;
    }

    /**
     * Kills this member's {@code mariadbd} with SIGKILL at once, without trying read-only first (the supervisor restarts
     * it, read-only); see {@link #fence(String)} for the result.
     */
    public FenceResult killServer(String reason) {
        return escalate(reason, "stopped without a fence first", System.nanoTime());
    }

    private FenceResult escalate(String reason, String why, long start) {
        String name = config.member().name();
        Optional<ProcessHandle> running = serverProcess().find();
        if (running.isEmpty()) {
            FenceResult result = new FenceResult(FenceResult.Kind.NOT_RUNNING, 0, since(start),
                    "no mariadbd runs with " + server.optionFile());
            LOG.info("{}: fenced ({}): {}", name, reason, result);
            return result;
        }
        long pid = running.get().pid();
        boolean exited;
        try {
            exited = ServerProcess.kill(running.get(), config.lock().safetyMargin());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exited = !running.get().isAlive();
        }
        FenceResult result = exited
                ? new FenceResult(FenceResult.Kind.SERVER_KILLED, 0, since(start), why + "; mariadbd pid " + pid + " killed with SIGKILL")
                : new FenceResult(FenceResult.Kind.FAILED, 0, since(start), why + "; SIGKILL sent to mariadbd pid " + pid
                        + " but it has not exited within " + config.lock().safetyMargin().toMillis() + " ms");
        if (exited) {
            LOG.warn("{}: fencing ({}): {}; killed mariadbd (pid {}) with SIGKILL, the supervisor restarts it read-only",
                    name, reason, why, pid);
        } else {
            LOG.error("{}: fencing ({}) FAILED: {}; the server may still accept writes", name, reason, result.detail());
        }
        return result;
    }

    /** This member's running server process, found by its option file (see {@link ServerProcess}). */
    private ServerProcess serverProcess() {
        return new ServerProcess(server.optionFile());
    }

    /** True when a {@code mariadbd} runs on this member's option file (also when it is stopped or stalled). */
    public boolean serverProcessRunning() {
        return serverProcess().find().isPresent();
    }

    /** The agent's own accounts, spared when client sessions are killed. */
    Set<String> agentAccounts() {
        return Set.of(secrets.root().user(), secrets.replication().user(), secrets.monitor().user());
    }

    private static Duration since(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    /**
     * Opens the fencing connection ahead of need, so fencing does not pay for a connect, and installs the dead-man
     * switch on the server (see {@link DeadManSwitch}).
     */
    public void prepareFencing() {
        try {
            fencingAdmin().ping();
        } catch (RuntimeException ignored) {
            // The server may not be up yet; fence() connects on demand.
        }
        try {
            deadManSwitch().install();
        } catch (RuntimeException e) {
            // Arming installs it when it is missing; until then a frozen agent is not covered.
            LOG.warn("{}: cannot install the dead-man switch yet ({}); arming will try again", config.member().name(), e.getMessage());
        }
    }

    /** The server's dead-man switch, over a connection of its own (see {@link DeadManSwitch}). */
    public synchronized DeadManSwitch deadManSwitch() {
        if (deadManSwitch == null) {
            deadManSwitch = new DeadManSwitch(config.member().name(), new DatabaseAdmin(socketTarget(secrets.root())), agentAccounts());
        }
        return deadManSwitch;
    }

    private synchronized DatabaseAdmin fencingAdmin() {
        if (fencing == null) {
            fencing = new DatabaseAdmin(socketTarget(secrets.root()));
        }
        return fencing;
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            if (reader != null) {
                reader.shutdownNow();
                reader = null;
            }
        }
        if (admin != null) {
            admin.close();
        }
        if (fencing != null) {
            fencing.close();
        }
        DeadManSwitch dms;
        synchronized (this) {
            dms = deadManSwitch;
        }
        if (dms != null) {
            dms.close();
        }
    }
}
