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
import java.util.OptionalLong;
import java.util.Set;
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
        this.server = new LocalServer(settings);
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

    /** One reading; never throws. */
    public DatabaseReading read() {
        DatabaseAdmin a = admin();
        try {
            if (!a.ping()) {
                return DatabaseReading.unreachable("no answer to SELECT 1 on " + server.settings().socket());
            }
            boolean readOnly = a.isReadOnly();
            // Zero-loss primaries only: has semi-sync fallen back to asynchronous replication (no ack within the timeout)?
            boolean fallback = config.mysql().zeroLoss() && !readOnly
                    && a.queryString("SELECT CONCAT(@@rpl_semi_sync_master_enabled, '/', (SELECT VARIABLE_VALUE FROM"
                            + " information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'RPL_SEMI_SYNC_MASTER_STATUS'))")
                    .filter("1/OFF"::equals).isPresent();
            return new DatabaseReading(true, readOnly, a.gtidPosition(), a.gtidBinlogState(), a.gtidSlavePosition(),
                    a.replicationStatus(), a.serverVersion().toString(), "", fallback);
        } catch (RuntimeException e) {
            return DatabaseReading.unreachable(e.getMessage());
        }
    }

    /**
     * Self-fencing: read-only, then every client connection killed (the agent's own accounts spared). Uses the
     * dedicated fencing connection; returns how many connections were killed.
     */
    public int fence() {
        DatabaseAdmin f = fencingAdmin();
        f.readOnly(true);
        return f.killClientConnections(Set.of(secrets.root().user(), secrets.replication().user(), secrets.monitor().user()));
    }

    /** Opens the fencing connection ahead of need, so fencing does not pay for a connect. */
    public void prepareFencing() {
        try {
            fencingAdmin().ping();
        } catch (RuntimeException ignored) {
            // The server may not be up yet; fence() connects on demand.
        }
    }

    private synchronized DatabaseAdmin fencingAdmin() {
        if (fencing == null) {
            fencing = new DatabaseAdmin(socketTarget(secrets.root()));
        }
        return fencing;
    }

    @Override
    public void close() {
        if (admin != null) {
            admin.close();
        }
        if (fencing != null) {
            fencing.close();
        }
    }
}
