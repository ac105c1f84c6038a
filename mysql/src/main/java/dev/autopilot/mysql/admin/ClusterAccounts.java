package dev.autopilot.mysql.admin;

import dev.autopilot.mysql.auth.Credentials;

import java.util.Objects;
import java.util.Optional;

/**
 * The accounts {@link UserBootstrap} creates. Every member of a cluster uses the same set.
 *
 * @param root        root@localhost (socket only): the agent's own account
 * @param replication replicas connect to the primary with it
 * @param monitor     read-only health probing
 * @param backup      mariabackup / xtrabackup
 * @param application optional application account and its database
 */
public record ClusterAccounts(Credentials root, Credentials replication, Credentials monitor, Credentials backup,
                              Optional<Application> application) {

    /** An application account with all privileges on one database and none globally. */
    public record Application(Credentials credentials, String database) {
        public Application {
            Objects.requireNonNull(credentials, "credentials");
            if (database == null || !database.matches("[A-Za-z0-9_$]{1,64}")) {
                throw new IllegalArgumentException("application database name '" + database + "' is invalid: use 1-64 letters, digits, '_' or '$'");
            }
        }
    }

    public ClusterAccounts {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(replication, "replication");
        Objects.requireNonNull(monitor, "monitor");
        Objects.requireNonNull(backup, "backup");
        Objects.requireNonNull(application, "application");
        if (!root.user().equals("root")) {
            throw new IllegalArgumentException("root account must be named 'root', got '" + root.user() + "'");
        }
    }
}
