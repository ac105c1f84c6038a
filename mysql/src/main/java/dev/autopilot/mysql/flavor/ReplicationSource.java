package dev.autopilot.mysql.flavor;

import dev.autopilot.mysql.auth.Credentials;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a replica replicates from, and how persistently it retries: a small connect retry and a
 * heartbeat well under the failure-detection budget so a dead primary shows up in seconds.
 *
 * @param tlsCa replicate over TLS and verify the primary's certificate (host name included) against this CA file
 *              ({@code MASTER_SSL=1}, {@code MASTER_SSL_VERIFY_SERVER_CERT=1}); empty: plain TCP
 */
public record ReplicationSource(String host, int port, Credentials credentials, Duration connectRetry, Duration heartbeat,
                                Optional<Path> tlsCa) {

    public ReplicationSource {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(tlsCa, "tlsCa");
        tlsCa.ifPresent(ca -> {
            if (!ca.toString().matches("[A-Za-z0-9/._+@,:=-]+")) {
                throw new IllegalArgumentException("replication TLS CA file '" + ca + "' has characters CHANGE MASTER cannot carry safely");
            }
        });
        Objects.requireNonNull(credentials, "credentials");
        if (!host.matches("[A-Za-z0-9._:-]+")) {
            throw new IllegalArgumentException("replication source host '" + host + "' is not a host name or IP address");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("replication source port " + port + " is outside 1..65535");
        }
        if (connectRetry.toSeconds() < 1) {
            throw new IllegalArgumentException("connect retry " + connectRetry + " must be at least 1 second");
        }
        if (heartbeat.toMillis() < 1) {
            throw new IllegalArgumentException("heartbeat " + heartbeat + " must be positive");
        }
    }

    /** Without TLS. */
    public ReplicationSource(String host, int port, Credentials credentials, Duration connectRetry, Duration heartbeat) {
        this(host, port, credentials, connectRetry, heartbeat, Optional.empty());
    }

    /** Defaults: retry every second, heartbeat every second, no TLS. */
    public static ReplicationSource of(String host, int port, Credentials credentials) {
        return new ReplicationSource(host, port, credentials, Duration.ofSeconds(1), Duration.ofSeconds(1));
    }

    /** The same source over TLS verified against {@code caFile} (unchanged when empty). */
    public ReplicationSource withTls(Optional<Path> caFile) {
        return new ReplicationSource(host, port, credentials, connectRetry, heartbeat, caFile);
    }

    @Override
    public String toString() {
        return credentials.user() + "@" + host + ":" + port + (tlsCa.isPresent() ? " (TLS)" : "");
    }
}
