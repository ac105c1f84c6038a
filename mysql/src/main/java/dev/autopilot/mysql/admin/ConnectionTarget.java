package dev.autopilot.mysql.admin;

import dev.autopilot.mysql.auth.Credentials;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Properties;

/**
 * How to reach one server: a unix socket (the agent talking to its own server) or TCP, an account, and
 * the timeouts that keep every call bounded — connect and per-statement socket timeouts, so a hung
 * server can never hang the caller.
 */
public record ConnectionTarget(String description, String jdbcUrl, Credentials credentials, Duration connectTimeout, Duration queryTimeout) {

    public ConnectionTarget {
        Objects.requireNonNull(credentials, "credentials");
        if (connectTimeout.toMillis() < 1 || queryTimeout.toMillis() < 1) {
            throw new IllegalArgumentException("connect and query timeouts must be positive");
        }
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
        return new ConnectionTarget(description, jdbcUrl, credentials, connect, query);
    }

    /** Driver properties; the password goes here, never into the URL, so it cannot leak through a logged URL. */
    Properties properties() {
        Properties p = new Properties();
        p.setProperty("user", credentials.user());
        p.setProperty("password", credentials.password().reveal());
        p.setProperty("connectTimeout", Long.toString(connectTimeout.toMillis()));
        p.setProperty("socketTimeout", Long.toString(queryTimeout.toMillis()));
        p.setProperty("allowPublicKeyRetrieval", "true");
        return p;
    }

    @Override
    public String toString() {
        return credentials.user() + "@" + description;
    }
}
