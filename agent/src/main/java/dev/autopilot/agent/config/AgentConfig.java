package dev.autopilot.agent.config;

import dev.autopilot.coordination.CoordinatorSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The validated configuration of one agent. Built only by {@link AgentConfigLoader}, which lists every
 * problem by its path; see {@code docs/configuration.md} for each setting. Secrets are not part of this
 * record: they are read from {@link #secretsDir()} or the environment by {@link ClusterSecrets}.
 *
 * @param cluster      cluster name; scopes every key in the store and names the services
 * @param member       this member's identity and placement
 * @param mysql        the database this agent runs
 * @param coordination how to reach the store
 * @param lock         leader-lock timing
 * @param failover     HA loop and election rules
 * @param api          REST API listener
 * @param clonePort    port the live-clone donor listens on (on {@code member.address})
 * @param secretsDir   directory with secret files (root-password, replication-password, ...), optional
 * @param backup       snapshots and binlog archive in an object store, when one is configured
 * @param bootstrap    where a new cluster's first member takes its data from, when not from an empty database
 * @param haproxy      the HAProxies told at once when this member's writes open or close, when any are configured
 */
public record AgentConfig(String cluster, Member member, Mysql mysql, CoordinatorSettings coordination, Lock lock,
                          Failover failover, Api api, int clonePort, Optional<Path> secretsDir, Optional<Backup> backup,
                          Optional<Bootstrap> bootstrap, Optional<Haproxy> haproxy) {

    /**
     * A new cluster started from another cluster's backup: the member that bootstraps it restores the newest
     * snapshot before {@code target} plus the archived binlogs up to it, instead of initialising an empty database.
     *
     * @param target where the restore stops ({@code latest}, a time or a GTID position)
     * @param source the object store holding that backup
     */
    public record Bootstrap(dev.autopilot.backup.pitr.RecoveryTarget target, dev.autopilot.storage.StoreSettings source) {
    }

    /**
     * @param store           where snapshots and archived binlogs go (a directory, e.g. a shared volume, or S3)
     * @param interval        a snapshot is due this long after the last one
     * @param archiveInterval the primary rotates and archives its binlog at least this often (bounds the recovery point)
     * @param keep            snapshots kept; binlogs needed to recover from the oldest kept one are kept too
     */
    public record Backup(dev.autopilot.storage.StoreSettings store, Duration interval, Duration archiveInterval, int keep) {
    }

    /**
     * @param name       stable member name (also the holder id of the leader lock)
     * @param address    address the database, the API and the clone donor listen on and others use
     * @param dataDir    the agent's directory: {@code mysql/} (data), {@code run/} (socket), {@code state/}
     * @param priority   higher wins election ties on equal GTID position
     * @param noFailover never promote this member automatically
     */
    public record Member(String name, String address, Path dataDir, int priority, boolean noFailover) {
        public Path mysqlDataDir() {
            return dataDir.resolve("mysql");
        }

        public Path runDir() {
            return dataDir.resolve("run");
        }
    }

    /**
     * @param port            database port
     * @param bufferPoolBytes innodb buffer pool; 0 = sized from the cgroup memory limit
     * @param zeroLoss        semi-synchronous replication (AFTER_SYNC): acknowledged commits survive a primary loss
     * @param semiSyncTimeout how long a commit waits for a replica's acknowledgement before falling back
     * @param appUser         application user created on bootstrap (no SUPER, so read_only fences it), optional
     * @param appDatabase     application database created on bootstrap, optional
     * @param binlogRetention closed binlogs older than this are purged (on a primary that archives: once archived);
     *                        zero keeps every binlog
     * @param tls             when present: the server requires TLS of every TCP client, replicas connect to the primary
     *                        with TLS and verify its certificate, and so do the agent's own TCP connections
     */
    public record Mysql(int port, long bufferPoolBytes, boolean zeroLoss, Duration semiSyncTimeout,
                        Optional<String> appUser, Optional<String> appDatabase, Duration binlogRetention, Optional<Tls> tls) {
    }

    /**
     * TLS material, PEM files on this member.
     *
     * @param caFile   the certificate authority that signs every member's certificate; peers are verified against it
     * @param certFile this member's certificate, issued for its {@code member.address}
     * @param keyFile  this member's private key (PKCS#8, unencrypted: {@code openssl pkcs8 -topk8 -nocrypt})
     */
    public record Tls(Path caFile, Path certFile, Path keyFile) {
        /** A context presenting this member's certificate and trusting the CA; errors name {@code setting}. */
        public javax.net.ssl.SSLContext context(String setting) {
            return dev.autopilot.coordination.support.PemTls.context(caFile, certFile, keyFile, setting);
        }
    }

    /**
     * @param ttl          leader lease TTL; the lock is free this long after the primary's node dies
     * @param safetyMargin the primary fences itself this long before its lease could expire
     */
    public record Lock(Duration ttl, Duration safetyMargin) {
    }

    /** What a member does when it finds transactions the primary never had. */
    public enum OnErrant { REBUILD, HOLD }

    /**
     * @param loopInterval     HA loop period (the loop also wakes on every store change)
     * @param maximumLag       replicas further behind than this are not eligible for promotion
     * @param promotionWindow  anti-flapping: no member is promoted twice within this window without an operator
     * @param startupGrace     after a total outage, how long to wait for every known member before electing
     * @param onErrant         rebuild a diverged member (newest snapshot, else a live clone), or hold it for an operator
     * @param failsafe         while the store is unreachable, a primary that every member confirms stays writable
     */
    public record Failover(Duration loopInterval, Duration maximumLag, Duration promotionWindow, Duration startupGrace,
                           OnErrant onErrant, boolean failsafe) {
    }

    /**
     * @param address REST API listen address
     * @param port    REST API port
     * @param tls     HTTPS with this certificate when present; clients (the CLI, HAProxy) verify it against the CA file
     */
    public record Api(String address, int port, Optional<Tls> tls) {
        /** {@code https} or {@code http}. */
        public String scheme() {
            return tls.isPresent() ? "https" : "http";
        }
    }

    /**
     * @param runtimeApis each HAProxy's runtime API ({@code unix:/path} or {@code host:port}, {@code level admin})
     * @param backend     their backend that routes writes to the primary
     * @param server      this member's server name in it
     */
    public record Haproxy(List<String> runtimeApis, String backend, String server) {
    }
}
