package dev.autopilot.mysql.admin;

import dev.autopilot.mysql.auth.Credentials;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;

/**
 * How to reach one server: a unix socket (the agent talking to its own server) or TCP, an account, and
 * the timeouts that keep every call bounded — connect and per-statement socket timeouts, so a hung
 * server can never hang the caller.
 *
 * @param tlsCa over TCP, TLS with the server's certificate verified against this CA file, host name included
 *              ({@code sslMode=verify-full}); empty: plain TCP, which also allows the driver to fetch the server's RSA
 *              key for {@code caching_sha2_password} ({@code allowPublicKeyRetrieval}) — a man in the middle could
 *              then learn the password, so turn TLS on wherever the network is not trusted
 */
public record ConnectionTarget(String description, String jdbcUrl, Credentials credentials, Duration connectTimeout, Duration queryTimeout,
                               Optional<Path> tlsCa) {

    public ConnectionTarget {
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(tlsCa, "tlsCa");
        if (connectTimeout.toMillis() < 1 || queryTimeout.toMillis() < 1) {
            throw new IllegalArgumentException("connect and query timeouts must be positive");
        }
    }

    /** Without TLS. */
    public ConnectionTarget(String description, String jdbcUrl, Credentials credentials, Duration connectTimeout, Duration queryTimeout) {
        this(description, jdbcUrl, credentials, connectTimeout, queryTimeout, Optional.empty());
    }

    /** The same target over TLS, the server verified against {@code caFile} (or unchanged when empty). */
    public ConnectionTarget withTls(Optional<Path> caFile) {
        return new ConnectionTarget(description, jdbcUrl, credentials, connectTimeout, queryTimeout, caFile);
    }

    /** Through the server's unix socket (needs no TCP account; root@localhost matches). */
    public static ConnectionTarget socket(Path socket, Credentials credentials) {
        if (!socket.toString().matches("[A-Za-z0-9/._+@,:=-]+")) {
            throw new IllegalArgumentException("socket path '" + socket + "' has characters the JDBC URL cannot carry"
                    + " (space, '&', '?', '%', ...); use a plainer runDir");
        }
        return new ConnectionTarget("socket " + socket, "jdbc:mariadb://localhost/?localSocket=" + socket,
                credentials, Duration.ofSeconds(3), Duration.ofSeconds(5));
    }

    /** Over TCP. */
    public static ConnectionTarget tcp(String host, int port, Credentials credentials) {
        return new ConnectionTarget(host + ":" + port, "jdbc:mariadb://" + host + ":" + port + "/",
                credentials, Duration.ofSeconds(3), Duration.ofSeconds(5));
    }

    public ConnectionTarget withTimeouts(Duration connect, Duration query) {
        return new ConnectionTarget(description, jdbcUrl, credentials, connect, query, tlsCa);
    }

    /** Driver properties; the password goes here, never into the URL, so it cannot leak through a logged URL. */
    Properties properties() {
        Properties p = new Properties();
        p.setProperty("user", credentials.user());
        p.setProperty("password", credentials.password().reveal());
        p.setProperty("connectTimeout", Long.toString(connectTimeout.toMillis()));
        p.setProperty("socketTimeout", Long.toString(queryTimeout.toMillis()));
        if (tlsCa.isPresent()) {
            p.setProperty("sslMode", "verify-full");
            p.setProperty("serverSslCert", tlsCa.get().toString());
        } else {
            // Plain TCP: MySQL's caching_sha2_password needs the server's RSA key, fetched unverified (see tlsCa).
            p.setProperty("allowPublicKeyRetrieval", "true");
        }
        return p;
    }

    @Override
    public String toString() {
        return credentials.user() + "@" + description + (tlsCa.isPresent() ? " (TLS)" : "");
    }
}
