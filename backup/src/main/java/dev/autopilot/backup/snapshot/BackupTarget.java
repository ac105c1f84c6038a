package dev.autopilot.backup.snapshot;

import dev.autopilot.mysql.auth.Credentials;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The server a snapshot is taken from and how the tools run against it. The agent picks it: a healthy
 * replica when there is one, otherwise the primary (mariabackup holds only a brief lock either way).
 *
 * @param member           the member's name, recorded in the snapshot for operators
 * @param host             host mariabackup connects to (the local server)
 * @param port             its port
 * @param backupUser       an account with RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR
 * @param datadir          the server's data directory, read directly by mariabackup
 * @param workDir          where per-run private files go (the 0600 option file; no data is staged)
 * @param mariabackup      the {@code mariabackup} command
 * @param zstd             the {@code zstd} command
 * @param zstdLevel        compression level, 1..19 (3 is zstd's default and keeps up with a disk)
 * @param parallel         {@code --parallel} copy threads for mariabackup
 * @param progressInterval how often progress is logged
 * @param tlsCa            the tools connect over TLS and verify the server against this CA file; empty: plain TCP
 */
public record BackupTarget(String member, String host, int port, Credentials backupUser, Path datadir, Path workDir,
                           String mariabackup, String zstd, int zstdLevel, int parallel, Duration progressInterval,
                           Optional<Path> tlsCa) {

    /** Without TLS to the server. */
    public BackupTarget(String member, String host, int port, Credentials backupUser, Path datadir, Path workDir,
                        String mariabackup, String zstd, int zstdLevel, int parallel, Duration progressInterval) {
        this(member, host, port, backupUser, datadir, workDir, mariabackup, zstd, zstdLevel, parallel, progressInterval,
                Optional.empty());
    }

    /** The same target, the tools verifying the server against {@code caFile} (unchanged when empty). */
    public BackupTarget withTls(Optional<Path> caFile) {
        return new BackupTarget(member, host, port, backupUser, datadir, workDir, mariabackup, zstd, zstdLevel, parallel,
                progressInterval, caFile);
    }

    public BackupTarget {
        Objects.requireNonNull(member, "member");
        Objects.requireNonNull(tlsCa, "tlsCa");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(backupUser, "backupUser");
        Objects.requireNonNull(datadir, "datadir");
        Objects.requireNonNull(workDir, "workDir");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("snapshot source " + member + ": port " + port + " is outside 1..65535");
        }
        if (zstdLevel < 1 || zstdLevel > 19) {
            throw new IllegalArgumentException("snapshot compression level " + zstdLevel + " is outside 1..19");
        }
        if (parallel < 1 || parallel > 64) {
            throw new IllegalArgumentException("snapshot parallel " + parallel + " is outside 1..64");
        }
        if (progressInterval.isNegative() || progressInterval.isZero()) {
            throw new IllegalArgumentException("snapshot progress interval " + progressInterval + " must be positive");
        }
    }

    /** Tools from {@code PATH}, zstd level 3, 2 copy threads, progress every 5 seconds. */
    public static BackupTarget of(String member, String host, int port, Credentials backupUser, Path datadir, Path workDir) {
        return new BackupTarget(member, host, port, backupUser, datadir, workDir, "mariabackup", "zstd", 3, 2,
                Duration.ofSeconds(5));
    }
}
