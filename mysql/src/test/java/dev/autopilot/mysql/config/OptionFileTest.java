package dev.autopilot.mysql.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OptionFileTest {

    final MemberIdentity identity = new MemberIdentity(0x1234_5678_9abc_def0L);
    final ServerSettings settings = ServerSettings.defaults(identity, Path.of("/data/db"), Path.of("/run/ap"), "10.0.0.5", 3306)
            .withMemory(256L << 20, 96L << 20);

    @Test
    void rendersIdentityAddressAndPaths() {
        String text = OptionFile.render(settings);
        assertThat(text).startsWith("# Rendered by Autopilot for member 123456789abcdef0").contains("\n[mariadbd]\n");
        assertThat(text).contains("server_id = " + identity.serverId() + "\n", "bind_address = 10.0.0.5\n", "port = 3306\n",
                "socket = /run/ap/mysqld.sock\n", "datadir = /data/db\n", "pid_file = /run/ap/mysqld.pid\n",
                "log_error = /data/db/mariadbd.err\n", "report_host = 10.0.0.5\n", "report_port = 3306\n");
    }

    @Test
    void anotherIdentityChangesOnlyTheServerId() {
        ServerSettings zeroLoss = settings.withZeroLoss(true, Duration.ofSeconds(30));
        Map<String, String> before = new LinkedHashMap<>(OptionFile.options(zeroLoss));
        Map<String, String> renewed = new LinkedHashMap<>(OptionFile.options(zeroLoss.withIdentity(new MemberIdentity(0x42))));
        assertThat(renewed.remove("server_id")).isEqualTo("66").isNotEqualTo(before.remove("server_id"));
        assertThat(renewed).isEqualTo(before);
    }

    @Test
    void rendersCrashSafeReplicationSettings() {
        Map<String, String> o = OptionFile.options(settings);
        assertThat(o).containsEntry("log_bin", "/data/db/binlog").containsEntry("binlog_format", "ROW")
                .containsEntry("log_slave_updates", "ON").containsEntry("gtid_strict_mode", "ON")
                .containsEntry("sync_binlog", "1").containsEntry("innodb_flush_log_at_trx_commit", "1")
                .containsEntry("relay_log_recovery", "ON").containsEntry("skip_slave_start", "ON")
                .containsEntry("read_only", "ON").containsEntry("event_scheduler", "ON").containsEntry("gtid_domain_id", "0")
                .containsEntry("skip_name_resolve", "ON").containsEntry("relay_log", "/data/db/relay-bin")
                .containsEntry("innodb_buffer_pool_size", Long.toString(256L << 20))
                .containsEntry("innodb_log_file_size", Long.toString(96L << 20))
                .containsEntry("slave_net_timeout", "5");
        assertThat(o).doesNotContainKeys("rpl_semi_sync_master_enabled", "sync_relay_log", "init_rpl_role");
    }

    @Test
    void zeroLossAddsSemiSyncAfterSyncAndSyncRelayLog() {
        Map<String, String> o = OptionFile.options(settings.withZeroLoss(true, Duration.ofSeconds(30)));
        assertThat(o).containsEntry("rpl_semi_sync_master_enabled", "OFF").containsEntry("rpl_semi_sync_slave_enabled", "ON")
                .containsEntry("rpl_semi_sync_master_wait_point", "AFTER_SYNC")
                .containsEntry("rpl_semi_sync_master_timeout", "30000").containsEntry("sync_relay_log", "1");
    }

    @Test
    void initRplRoleAndExtraOptionsAreRendered() {
        Map<String, String> o = OptionFile.options(settings.withInitRplRole(ServerSettings.RplRole.SLAVE)
                .withExtraOptions(Map.of("max_connections", "500")));
        assertThat(o).containsEntry("init_rpl_role", "SLAVE").containsEntry("max_connections", "500");
    }

    @Test
    void extraOptionMayNotOverrideARenderedSafetySetting() {
        assertThatThrownBy(() -> settings.withExtraOptions(Map.of("sync-binlog", "0", "bad name!", "1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("extraOptions.sync-binlog: rendered by Autopilot")
                .hasMessageContaining("extraOptions.bad name!: not an option name");
    }

    @Test
    void validationListsEveryProblemByName() {
        assertThatThrownBy(() -> new ServerSettings(identity, Path.of("relative"), Path.of("/r"), "bad address", 0, -1, "",
                1, 1, false, Duration.ZERO, Duration.ofSeconds(1), java.util.Optional.empty(), Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dataDir: must be an absolute path")
                .hasMessageContaining("bindAddress: not an address")
                .hasMessageContaining("port: 0 is outside 1..65535")
                .hasMessageContaining("gtidDomainId: -1")
                .hasMessageContaining("reportHost")
                .hasMessageContaining("bufferPoolBytes")
                .hasMessageContaining("redoLogBytes")
                .hasMessageContaining("semiSyncTimeout")
                .hasMessageContaining("replicaNetTimeout");
    }

    @Test
    void tooLongSocketPathIsRejected() {
        Path longRun = Path.of("/" + "x".repeat(100));
        assertThatThrownBy(() -> ServerSettings.defaults(identity, Path.of("/d"), longRun, "10.0.0.5", 3306))
                .hasMessageContaining("runDir").hasMessageContaining("too long for a unix socket path");
    }
}
