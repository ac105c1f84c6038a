package dev.autopilot.mysql.flavor;

import dev.autopilot.mysql.auth.Credentials;

import java.time.Duration;
import java.util.Objects;

/**
 * Where a replica replicates from, and how persistently it retries: a small connect retry and a
 * heartbeat well under the failure-detection budget so a dead primary shows up in seconds.
 */
public record ReplicationSource(String host, int port, Credentials credentials, Duration connectRetry, Duration heartbeat) {

    public ReplicationSource {
        Objects.requireNonNull(host, "host");
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

    /** Defaults: retry every second, heartbeat every second. */
    public static ReplicationSource of(String host, int port, Credentials credentials) {
        return new ReplicationSource(host, port, credentials, Duration.ofSeconds(1), Duration.ofSeconds(1));
    }

    @Override
    public String toString() {
        return credentials.user() + "@" + host + ":" + port;
    }
}
