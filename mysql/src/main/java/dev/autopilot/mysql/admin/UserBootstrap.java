package dev.autopilot.mysql.admin;

import dev.autopilot.mysql.auth.Credentials;
import dev.autopilot.mysql.flavor.MariaDbFlavor;
import dev.autopilot.mysql.flavor.Sql;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Creates the cluster's accounts on a fresh primary. Idempotent: running it again converges passwords
 * and grants. Passwords never appear in a statement: each account is set from its {@code mysql_native_password}
 * hash ({@code IDENTIFIED BY PASSWORD '*…'}), which is what the server stores anyway, so neither a binlog, the
 * process list nor a statement log holds a password. The agent applies the accounts with {@code binlog=false}:
 * every later member is provisioned by copying data (snapshot or live clone), so the accounts travel in the
 * data files and the binlogs hold not even the hashes. {@code binlog=true} replicates them, for a replica that
 * replicates from the very beginning; on a node that is not the primary it must be false, or the statements
 * would become errant transactions.
 *
 * <p>Privileges (MariaDB 10.5+ split SUPER into narrow privileges; each account gets only what its job needs):
 * <ul>
 *   <li>replication: {@code REPLICATION SLAVE} — request a binlog dump, nothing else.</li>
 *   <li>monitor: {@code SLAVE MONITOR, BINLOG MONITOR} — SHOW SLAVE STATUS and binlog positions; no data access.</li>
 *   <li>backup: {@code RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR, SLAVE MONITOR} — mariabackup's documented
 *       needs (BACKUP STAGE locks, reading InnoDB status, binlog position, --slave-info).</li>
 *   <li>application: {@code ALL} on its own database only; without SUPER / READ ONLY ADMIN / CONNECTION ADMIN,
 *       so {@code read_only} fences it and killing its connections sticks.</li>
 * </ul>
 * Anonymous accounts and root accounts other than root@localhost are dropped.
 */
public final class UserBootstrap {

    private static final Logger LOG = LoggerFactory.getLogger(UserBootstrap.class);

    private final String networkHost;

    /** Accounts other than root may connect from {@code networkHost} (e.g. {@code %} or {@code 10.0.%}). */
    public UserBootstrap(String networkHost) {
        if (!networkHost.matches("[A-Za-z0-9._%:-]+")) {
            throw new IllegalArgumentException("account host pattern '" + networkHost + "' is invalid");
        }
        this.networkHost = networkHost;
    }

    /** Accounts reachable from any host. */
    public UserBootstrap() {
        this("%");
    }

    /** The statements, for review; they hold password hashes (as crackable as the server's own table), never log them. */
    public List<String> statements(ClusterAccounts accounts) {
        List<String> sql = new ArrayList<>();
        Credentials root = accounts.root();
        sql.add("ALTER USER 'root'@'localhost' IDENTIFIED BY PASSWORD " + Sql.literal(nativePasswordHash(root.password().reveal())));
        account(sql, accounts.replication(), "REPLICATION SLAVE ON *.*");
        account(sql, accounts.monitor(), "SLAVE MONITOR, BINLOG MONITOR ON *.*");
        account(sql, accounts.backup(), "RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR, SLAVE MONITOR ON *.*");
        accounts.application().ifPresent(app -> {
            sql.add("CREATE DATABASE IF NOT EXISTS " + Sql.identifier(app.database()));
            account(sql, app.credentials(), "ALL PRIVILEGES ON " + Sql.identifier(app.database()) + ".*");
        });
        return sql;
    }

    private void account(List<String> sql, Credentials c, String grant) {
        String who = Sql.literal(c.user()) + "@" + Sql.literal(networkHost);
        String hash = Sql.literal(nativePasswordHash(c.password().reveal()));
        sql.add("CREATE USER IF NOT EXISTS " + who + " IDENTIFIED BY PASSWORD " + hash);
        sql.add("ALTER USER " + who + " IDENTIFIED BY PASSWORD " + hash);
        sql.add("GRANT " + grant + " TO " + who);
    }

    /**
     * The {@code mysql_native_password} hash of {@code password}: {@code *} and the upper-case hex of
     * SHA1(SHA1(password)), the same text the server's {@code PASSWORD()} function returns.
     */
    static String nativePasswordHash(String password) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            byte[] once = sha1.digest(password.getBytes(StandardCharsets.UTF_8));
            return "*" + HexFormat.of().withUpperCase().formatHex(sha1.digest(once));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-1, which every Java platform must provide", e);
        }
    }

    /**
     * Applies the accounts through {@code admin} (connected as root, with or without the final password).
     *
     * @param binlog true on the primary (accounts replicate), false elsewhere (no errant transactions)
     */
    public void apply(DatabaseAdmin admin, ClusterAccounts accounts, boolean binlog) {
        if (!(admin.flavor() instanceof MariaDbFlavor)) {
            throw new UnsupportedOperationException("user bootstrap uses MariaDB privilege names; " + admin.flavor().version() + " is not supported yet");
        }
        List<String> sql = new ArrayList<>();
        // One session throughout: a reconnect would silently drop sql_log_bin=0 and binlog the rest.
        sql.add("SET SESSION sql_log_bin=" + (binlog ? 1 : 0));
        for (Map<String, String> row : admin.queryRows(
                "SELECT User, Host FROM mysql.user WHERE User='' OR (User='root' AND Host<>'localhost')")) {
            sql.add("DROP USER IF EXISTS " + Sql.literal(row.get("User")) + "@" + Sql.literal(row.get("Host")));
        }
        sql.addAll(statements(accounts));
        sql.add("SET SESSION sql_log_bin=1");
        // Statements carry password hashes: errors show only the part before IDENTIFIED.
        admin.executeInOneSession(sql, statement -> "account bootstrap at '" + statement.split(" IDENTIFIED")[0] + "'");
        LOG.info("Accounts root, {}, {}, {}{} are in place on {} (binlogged: {})", accounts.replication().user(),
                accounts.monitor().user(), accounts.backup().user(),
                accounts.application().map(a -> ", " + a.credentials().user() + " on " + a.database()).orElse(""), admin.target(), binlog);
    }
}
