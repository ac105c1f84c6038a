package dev.autopilot.backup.clone;

import dev.autopilot.mysql.auth.Credentials;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How a {@link CloneDonor} listens and how it runs mariabackup against its own server.
 *
 * @param listen           address to accept joiners on; a cluster-private address (the stream is not encrypted)
 * @param token            the shared clone token joiners must prove
 * @param serverHost       host of the local database server, as mariabackup should connect to it
 * @param serverPort       its port
 * @param backupUser       an account with RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR (or REPLICATION CLIENT)
 * @param datadir          the server's data directory (mariabackup reads the files directly)
 * @param workDir          where per-clone temporary directories go (a few KiB each, no data staging)
 * @param mariabackup      the {@code mariabackup} command
 * @param parallel         {@code --parallel} threads copying files
 * @param progressInterval how often the donor logs bytes sent
 * @param tlsCa            mariabackup connects over TLS and verifies the server against this CA file (a server with
 *                         {@code require_secure_transport}); empty: plain TCP
 */
public record DonorSettings(InetSocketAddress listen, CloneToken token, String serverHost, int serverPort,
                            Credentials backupUser, Path datadir, Path workDir, String mariabackup, int parallel,
                            Duration progressInterval, Optional<Path> tlsCa) {

    /** Without TLS to the local server. */
    public DonorSettings(InetSocketAddress listen, CloneToken token, String serverHost, int serverPort, Credentials backupUser,
                         Path datadir, Path workDir, String mariabackup, int parallel, Duration progressInterval) {
        this(listen, token, serverHost, serverPort, backupUser, datadir, workDir, mariabackup, parallel, progressInterval,
                Optional.empty());
    }

    /** The same settings, mariabackup verifying the server against {@code caFile} (unchanged when empty). */
    public DonorSettings withTls(Optional<Path> caFile) {
        return new DonorSettings(listen, token, serverHost, serverPort, backupUser, datadir, workDir, mariabackup, parallel,
                progressInterval, caFile);
    }

    public DonorSettings {
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(tlsCa, "tlsCa");
        Objects.requireNonNull(serverHost, "serverHost");
        Objects.requireNonNull(backupUser, "backupUser");
        Objects.requireNonNull(datadir, "datadir");
        Objects.requireNonNull(workDir, "workDir");
        Objects.requireNonNull(mariabackup, "mariabackup");
        if (serverPort < 1 || serverPort > 65535) {
            throw new IllegalArgumentException("clone donor: server port " + serverPort + " is outside 1..65535");
        }
        if (parallel < 1 || parallel > 64) {
            throw new IllegalArgumentException("clone donor: parallel " + parallel + " is outside 1..64");
        }
        if (progressInterval.isNegative() || progressInterval.isZero()) {
            throw new IllegalArgumentException("clone donor: progress interval " + progressInterval + " must be positive");
        }
    }

    /** mariabackup from {@code PATH}, 2 copy threads, progress every 5 seconds. */
    public static DonorSettings of(InetSocketAddress listen, CloneToken token, String serverHost, int serverPort,
                                   Credentials backupUser, Path datadir, Path workDir) {
        return new DonorSettings(listen, token, serverHost, serverPort, backupUser, datadir, workDir,
                "mariabackup", 2, Duration.ofSeconds(5));
    }
}
