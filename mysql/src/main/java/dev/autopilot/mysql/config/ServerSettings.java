package dev.autopilot.mysql.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Everything needed to render one member's option file ({@link OptionFile#render}). Validated on
 * construction: every problem is listed by setting name in one {@link IllegalArgumentException}.
 *
 * @param identity          the member identity; {@code server_id} derives from it
 * @param dataDir           the data directory
 * @param runDir            where the socket and pid file go (a socket path must stay under 108 bytes)
 * @param bindAddress       address the server listens on and reports to replicas
 * @param port              TCP port
 * @param gtidDomainId      MariaDB {@code gtid_domain_id}; all members of a cluster use the same one
 * @param reportHost        address replicas and tools should use for this member
 * @param bufferPoolBytes   {@code innodb_buffer_pool_size}; see {@link MemoryLimit#bufferPoolSize}
 * @param redoLogBytes      {@code innodb_log_file_size}
 * @param zeroLoss          semi-synchronous replication (AFTER_SYNC) plus {@code sync_relay_log=1}
 * @param semiSyncTimeout   how long a commit waits for a replica's ack before falling back to async
 * @param replicaNetTimeout {@code slave_net_timeout}: how soon a replica notices a silent primary
 * @param initRplRole       MariaDB {@code init_rpl_role} at start, when set
 * @param extraOptions      further {@code [mariadbd]} options; may not repeat a rendered one
 */
public record ServerSettings(MemberIdentity identity, Path dataDir, Path runDir, String bindAddress, int port,
                             long gtidDomainId, String reportHost, long bufferPoolBytes, long redoLogBytes,
                             boolean zeroLoss, Duration semiSyncTimeout, Duration replicaNetTimeout,
                             Optional<RplRole> initRplRole, Map<String, String> extraOptions) {

    /** MariaDB's {@code init_rpl_role}. */
    public enum RplRole { MASTER, SLAVE }

    public ServerSettings {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(initRplRole, "initRplRole");
        extraOptions = Map.copyOf(new TreeMap<>(extraOptions));
        List<String> problems = new ArrayList<>();
        if (dataDir == null || !dataDir.isAbsolute()) problems.add("dataDir: must be an absolute path, got " + dataDir);
        if (runDir == null || !runDir.isAbsolute()) problems.add("runDir: must be an absolute path, got " + runDir);
        else if (runDir.resolve("mysqld.sock").toString().length() > 107) {
            problems.add("runDir: " + runDir + " is too long for a unix socket path (max 107 bytes with mysqld.sock); use a shorter directory");
        }
        if (bindAddress == null || !bindAddress.matches("[A-Za-z0-9._:-]+")) problems.add("bindAddress: not an address: " + bindAddress);
        if (port < 1 || port > 65535) problems.add("port: " + port + " is outside 1..65535");
        if (gtidDomainId < 0 || gtidDomainId > 0xFFFF_FFFFL) problems.add("gtidDomainId: " + gtidDomainId + " is outside 0..4294967295");
        if (reportHost == null || !reportHost.matches("[A-Za-z0-9._:-]+")) problems.add("reportHost: not a host name or address: " + reportHost);
        if (bufferPoolBytes < MemoryLimit.MIN_BUFFER_POOL) problems.add("bufferPoolBytes: " + bufferPoolBytes + " is below 32 MiB");
        if (redoLogBytes < (4L << 20)) problems.add("redoLogBytes: " + redoLogBytes + " is below 4 MiB");
        if (semiSyncTimeout == null || semiSyncTimeout.isNegative() || semiSyncTimeout.isZero()) problems.add("semiSyncTimeout: must be positive");
        if (replicaNetTimeout == null || replicaNetTimeout.toSeconds() < 2) problems.add("replicaNetTimeout: must be at least 2 seconds");
        for (String key : extraOptions.keySet()) {
            String normal = key.replace('-', '_');
            if (!normal.matches("[a-z0-9_.]+")) problems.add("extraOptions." + key + ": not an option name");
            else if (OptionFile.RENDERED.contains(normal)) {
                problems.add("extraOptions." + key + ": rendered by Autopilot; change the matching setting instead");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid server settings:\n  " + String.join("\n  ", problems));
        }
    }

    /**
     * Settings with production defaults: buffer pool from the cgroup limit, 96 MiB redo log, async
     * replication, 5 s replica net timeout, report host = bind address.
     */
    public static ServerSettings defaults(MemberIdentity identity, Path dataDir, Path runDir, String bindAddress, int port) {
        return new ServerSettings(identity, dataDir, runDir, bindAddress, port, 0, bindAddress,
                MemoryLimit.bufferPoolSize(MemoryLimit.detect(), java.util.OptionalLong.empty()), 96L << 20,
                false, Duration.ofSeconds(10), Duration.ofSeconds(5), Optional.empty(), Map.of());
    }

    /** The same settings for another identity (a member whose data was replaced by a copy takes a new one). */
    public ServerSettings withIdentity(MemberIdentity next) {
        return new ServerSettings(next, dataDir, runDir, bindAddress, port, gtidDomainId, reportHost, bufferPoolBytes,
                redoLogBytes, zeroLoss, semiSyncTimeout, replicaNetTimeout, initRplRole, extraOptions);
    }

    public ServerSettings withZeroLoss(boolean on, Duration timeout) {
        return new ServerSettings(identity, dataDir, runDir, bindAddress, port, gtidDomainId, reportHost, bufferPoolBytes,
                redoLogBytes, on, timeout, replicaNetTimeout, initRplRole, extraOptions);
    }

    public ServerSettings withMemory(long bufferPool, long redoLog) {
        return new ServerSettings(identity, dataDir, runDir, bindAddress, port, gtidDomainId, reportHost, bufferPool,
                redoLog, zeroLoss, semiSyncTimeout, replicaNetTimeout, initRplRole, extraOptions);
    }

    public ServerSettings withInitRplRole(RplRole role) {
        return new ServerSettings(identity, dataDir, runDir, bindAddress, port, gtidDomainId, reportHost, bufferPoolBytes,
                redoLogBytes, zeroLoss, semiSyncTimeout, replicaNetTimeout, Optional.of(role), extraOptions);
    }

    public ServerSettings withExtraOptions(Map<String, String> extra) {
        return new ServerSettings(identity, dataDir, runDir, bindAddress, port, gtidDomainId, reportHost, bufferPoolBytes,
                redoLogBytes, zeroLoss, semiSyncTimeout, replicaNetTimeout, initRplRole, extra);
    }

    public Path socket() {
        return runDir.resolve("mysqld.sock");
    }

    public Path pidFile() {
        return runDir.resolve("mysqld.pid");
    }

    public Path errorLog() {
        return dataDir.resolve("mariadbd.err");
    }
}
