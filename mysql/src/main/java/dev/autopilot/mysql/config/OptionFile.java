package dev.autopilot.mysql.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Renders {@link ServerSettings} as a MariaDB option file ({@code my.cnf}, one {@code [mariadbd]}
 * group). The file holds no secrets. Every setting and why it is there is listed in docs/mysql.md.
 */
public final class OptionFile {

    /** Option names this class renders (normalised to underscores); extra options may not repeat them. */
    static final Set<String> RENDERED = Set.of("server_id", "bind_address", "port", "socket", "datadir", "pid_file",
            "log_error", "log_bin", "log_bin_index", "relay_log", "relay_log_index", "binlog_format", "log_slave_updates",
            "gtid_strict_mode", "gtid_domain_id", "sync_binlog", "innodb_flush_log_at_trx_commit", "relay_log_recovery",
            "skip_slave_start", "read_only", "report_host", "report_port", "innodb_buffer_pool_size", "innodb_log_file_size",
            "skip_name_resolve", "slave_net_timeout", "rpl_semi_sync_master_enabled", "rpl_semi_sync_slave_enabled",
            "rpl_semi_sync_master_wait_point", "rpl_semi_sync_master_timeout", "sync_relay_log", "init_rpl_role",
            "rpl_semi_sync_slave_kill_conn_timeout", "event_scheduler");

    private OptionFile() {
    }

    /** The option values in rendering order. */
    public static Map<String, String> options(ServerSettings s) {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("server_id", Long.toString(s.identity().serverId()));
        o.put("bind_address", s.bindAddress());
        o.put("port", Integer.toString(s.port()));
        o.put("socket", s.socket().toString());
        o.put("datadir", s.dataDir().toString());
        o.put("pid_file", s.pidFile().toString());
        o.put("log_error", s.errorLog().toString());
        o.put("skip_name_resolve", "ON");
        // Replication identity and crash safety.
        o.put("log_bin", s.dataDir().resolve("binlog").toString());
        o.put("log_bin_index", s.dataDir().resolve("binlog.index").toString());
        o.put("relay_log", s.dataDir().resolve("relay-bin").toString());
        o.put("relay_log_index", s.dataDir().resolve("relay-bin.index").toString());
        o.put("binlog_format", "ROW");
        o.put("log_slave_updates", "ON");
        o.put("gtid_strict_mode", "ON");
        o.put("gtid_domain_id", Long.toString(s.gtidDomainId()));
        o.put("sync_binlog", "1");
        o.put("innodb_flush_log_at_trx_commit", "1");
        o.put("relay_log_recovery", "ON");
        o.put("skip_slave_start", "ON");
        o.put("read_only", "ON");
        // Runs the agent's dead-man switch: an event that turns a writable server read-only when the agent stops
        // refreshing its heartbeat (a frozen agent cannot fence; see docs/why.md).
        o.put("event_scheduler", "ON");
        o.put("report_host", s.reportHost());
        o.put("report_port", Integer.toString(s.port()));
        o.put("slave_net_timeout", Long.toString(s.replicaNetTimeout().toSeconds()));
        o.put("innodb_buffer_pool_size", Long.toString(s.bufferPoolBytes()));
        o.put("innodb_log_file_size", Long.toString(s.redoLogBytes()));
        if (s.zeroLoss()) {
            // Off until the agent opens writes: a replica with it on makes its own applier wait for acknowledgements
            // (log_slave_updates), leaving gtid_slave_pos behind its binlog and stopping replication on a re-point.
            o.put("rpl_semi_sync_master_enabled", "OFF");
            o.put("rpl_semi_sync_slave_enabled", "ON");
            o.put("rpl_semi_sync_master_wait_point", "AFTER_SYNC");
            o.put("rpl_semi_sync_master_timeout", Long.toString(s.semiSyncTimeout().toMillis()));
            o.put("sync_relay_log", "1");
            // STOP SLAVE on a semi-sync replica first asks the primary to drop its dump thread, waiting up to this
            // long (default 5 s); when the primary is dead that wait would hold up every promotion and re-point.
            o.put("rpl_semi_sync_slave_kill_conn_timeout", "1");
        }
        s.initRplRole().ifPresent(r -> o.put("init_rpl_role", r.name()));
        o.putAll(s.extraOptions());
        return o;
    }

    /** The option file text. */
    public static String render(ServerSettings s) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Rendered by Autopilot for ").append(s.identity()).append(". Do not edit: regenerated at every start.\n");
        sb.append("[mariadbd]\n");
        options(s).forEach((k, v) -> sb.append(k).append(" = ").append(v).append('\n'));
        return sb.toString();
    }

    /** Writes the rendered file (mode 0644: it holds no secrets) and returns its path. */
    public static Path write(ServerSettings s, Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, render(s));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write option file " + file, e);
        }
    }
}
