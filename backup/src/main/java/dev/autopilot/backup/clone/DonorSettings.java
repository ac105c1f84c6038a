package dev.autopilot.backup.clone;

import dev.autopilot.mysql.auth.Credentials;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * How a {@link CloneDonor} listens and how it runs mariabackup against its own server.
 *
 * @param listen           address to accept joiners on; a cluster-private address unless {@code streamTls} is set
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
 * @param streamTls        the clone stream runs over TLS with this context (the member's certificate), and a joiner
 *                         must present a certificate this context trusts (mutual TLS); empty: plain TCP, the token's
 *                         handshake only
 */
public record DonorSettings(InetSocketAddress listen, CloneToken token, String serverHost, int serverPort,
                            Credentials backupUser, Path datadir, Path workDir, String mariabackup, int parallel,
                            Duration progressInterval, Optional<Path> tlsCa, Optional<SSLContext> streamTls) {

    /** Without TLS to the local server. */
    public DonorSettings(InetSocketAddress listen, CloneToken token, String serverHost, int serverPort, Credentials backupUser,
                         Path datadir, Path workDir, String mariabackup, int parallel, Duration progressInterval) {
        this(listen, token, serverHost, serverPort, backupUser, datadir, workDir, mariabackup, parallel, progressInterval,
                Optional.empty(), Optional.empty());
    }

    /** The same settings, mariabackup verifying the server against {@code caFile} (unchanged when empty). */
    public DonorSettings withTls(Optional<Path> caFile) {
        return new DonorSettings(listen, token, serverHost, serverPort, backupUser, datadir, workDir, mariabackup, parallel,
                progressInterval, caFile, streamTls);
    }

    /** The same settings, the clone stream over mutual TLS with {@code context} (unchanged when empty). */
    public DonorSettings withStreamTls(Optional<SSLContext> context) {
        return new DonorSettings(listen, token, serverHost, serverPort, backupUser, datadir, workDir, mariabackup, parallel,
                progressInterval, tlsCa, context);
    }

    public DonorSettings {
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(tlsCa, "tlsCa");
        Objects.requireNonNull(streamTls, "streamTls");
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
