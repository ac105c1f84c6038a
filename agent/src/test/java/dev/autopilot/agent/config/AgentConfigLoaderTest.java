package dev.autopilot.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentConfigLoaderTest {
    @TempDir
    Path dir;

    private AgentConfig load(String yaml, Map<String, String> env) throws Exception {
        Path file = dir.resolve("agent.yaml");
        Files.writeString(file, yaml);
        return new AgentConfigLoader(env).load(Optional.of(file));
    }

    @Test
    void aMinimalFileGetsSafeDefaults() throws Exception {
        AgentConfig c = load("cluster: orders\nmember: {name: db1, address: 10.0.0.5, dataDir: /var/lib/autopilot}\n", Map.of());
        assertThat(c.lock().ttl()).isEqualTo(Duration.ofSeconds(4));
        assertThat(c.failover().onErrant()).isEqualTo(AgentConfig.OnErrant.REBUILD);
        assertThat(c.api().address()).isEqualTo("10.0.0.5");
        assertThat(c.coordination().scope()).isEqualTo("/autopilot/orders/");
        assertThat(c.mysql().binlogRetention()).isEqualTo(Duration.ofDays(7));
    }

    @Test
    void binlogRetentionIsInDaysOrZeroAndOutlivesTwoSnapshotIntervals() throws Exception {
        String base = "cluster: orders\nmember: {name: db1, address: 10.0.0.5, dataDir: /d}\n";
        assertThat(load(base + "mysql: {binlogRetention: 3d}\n", Map.of()).mysql().binlogRetention()).isEqualTo(Duration.ofDays(3));
        assertThat(load(base, Map.of("AUTOPILOT_MYSQL_BINLOG_RETENTION", "0s")).mysql().binlogRetention()).isZero();
        assertThat(load(base + "mysql: {binlogRetention: 12h}\nbackup: {directory: /b, interval: 6h}\n", Map.of())
                .mysql().binlogRetention()).isEqualTo(Duration.ofHours(12));
        assertThatThrownBy(() -> load(base + "mysql: {binlogRetention: 11h}\nbackup: {directory: /b, interval: 6h}\n", Map.of()))
                .hasMessageContaining("mysql.binlogRetention: 11h must be at least twice backup.interval (6h)");
        assertThatThrownBy(() -> load(base + "mysql: {binlogRetention: a week}\n", Map.of()))
                .hasMessageContaining("mysql.binlogRetention: 'a week' is not a duration (use e.g. 500ms, 3s, 5m, 1h, 7d)");
    }

    @Test
    void environmentAloneConfiguresAMemberAndWinsOverTheFile() throws Exception {
        var env = Map.of("AUTOPILOT_CLUSTER", "orders", "AUTOPILOT_MEMBER_NAME", "db7", "AUTOPILOT_MEMBER_ADDRESS", "10.0.0.7",
                "AUTOPILOT_MEMBER_DATA_DIR", "/data", "AUTOPILOT_MEMBER_NO_FAILOVER", "true", "AUTOPILOT_LOCK_TTL", "5s");
        AgentConfig c = new AgentConfigLoader(env).load(Optional.empty());
        assertThat(c.member().name()).isEqualTo("db7");
        assertThat(c.member().noFailover()).isTrue();
        assertThat(c.lock().ttl()).isEqualTo(Duration.ofSeconds(5));
        AgentConfig overridden = load("cluster: orders\nmember: {name: db1, address: 10.0.0.5, dataDir: /d}\n",
                Map.of("AUTOPILOT_MEMBER_NAME", "db9"));
        assertThat(overridden.member().name()).isEqualTo("db9");
    }

    @Test
    void everyProblemIsListedWithItsPath() {
        assertThatThrownBy(() -> load("""
                member: {name: DB_1, dataDir: relative}
                lock: {ttl: 2500ms, safetyMargin: 2s}
                failover: {maximumLag: soon, onErrant: ignore}
                mystery: 1
                """, Map.of()))
                .isInstanceOf(InvalidConfigException.class)
                .satisfies(e -> assertThat(((InvalidConfigException) e).problems()).anySatisfy(p -> assertThat(p).startsWith("cluster: missing"))
                        .anySatisfy(p -> assertThat(p).startsWith("member.name: 'DB_1'"))
                        .anySatisfy(p -> assertThat(p).startsWith("member.address: missing"))
                        .anySatisfy(p -> assertThat(p).startsWith("member.dataDir: 'relative' must be an absolute path"))
                        .anySatisfy(p -> assertThat(p).startsWith("lock.ttl: 2500ms"))
                        .anySatisfy(p -> assertThat(p).startsWith("lock.safetyMargin:"))
                        .anySatisfy(p -> assertThat(p).startsWith("failover.maximumLag: 'soon' is not a duration"))
                        .anySatisfy(p -> assertThat(p).startsWith("failover.onErrant: 'ignore' is not one of"))
                        .anySatisfy(p -> assertThat(p).startsWith("mystery: unknown setting")));
    }

    @Test
    void bootstrapFromBackupNamesItsStoreAndRefusesAPastPointOfTheStoreItWouldArchiveTo() throws Exception {
        String base = "cluster: orders\nmember: {name: db1, address: 10.0.0.5, dataDir: /d}\n";
        AgentConfig fromOld = load(base + "bootstrap: {fromBackup: '0-1-42', directory: /old}\nbackup: {directory: /new}\n", Map.of());
        assertThat(fromOld.bootstrap()).hasValueSatisfying(b -> {
            assertThat(b.target()).isEqualTo(new dev.autopilot.backup.pitr.RecoveryTarget.AtGtid(
                    dev.autopilot.mysql.gtid.GtidPosition.parse("0-1-42")));
            assertThat(b.source()).isEqualTo(new dev.autopilot.storage.StoreSettings.Directory(Path.of("/old")));
        });
        AgentConfig latestFromOwn = load(base + "bootstrap: {fromBackup: latest}\nbackup: {directory: /b}\n", Map.of());
        assertThat(latestFromOwn.bootstrap()).hasValueSatisfying(b ->
                assertThat(b.source()).isEqualTo(new dev.autopilot.storage.StoreSettings.Directory(Path.of("/b"))));
        assertThat(load(base, Map.of()).bootstrap()).isEmpty();

        assertThatThrownBy(() -> load(base + "bootstrap: {fromBackup: '2026-11-25T12:00:00Z'}\nbackup: {directory: /b}\n", Map.of()))
                .hasMessageContaining("bootstrap.fromBackup: '2026-11-25T12:00:00Z' is a point in the past");
        assertThatThrownBy(() -> load(base + "bootstrap: {fromBackup: yesterday, directory: /old}\n", Map.of()))
                .hasMessageContaining("bootstrap.fromBackup: 'yesterday' is neither 'latest'");
        assertThatThrownBy(() -> load(base + "bootstrap: {fromBackup: latest}\n", Map.of()))
                .hasMessageContaining("bootstrap.fromBackup: no object store to restore from");
        assertThatThrownBy(() -> load(base + "bootstrap: {directory: /old}\n", Map.of()))
                .hasMessageContaining("bootstrap.fromBackup: missing");
    }

    @Test
    void missingSecretsAreNamedWithEveryWayToProvideThem() {
        assertThatThrownBy(() -> ClusterSecrets.load(Map.of("AUTOPILOT_ROOT_PASSWORD", "x"), Optional.of(dir), false))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("secrets.replication-password: missing; set AUTOPILOT_REPLICATION_PASSWORD, AUTOPILOT_REPLICATION_PASSWORD_FILE")
                .hasMessageNotContaining("secrets.root-password");
    }

    @Test
    void everySettingIsDocumentedInTheConfigurationReference() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "configuration.md"));
        for (String setting : AgentConfigLoader.SETTINGS) {
            assertThat(doc).as("docs/configuration.md documents " + setting).contains("`" + setting + "`");
        }
    }

    @Test
    void failsafeIsOffByDefaultAndOnNeedsALeaseLongEnoughForItsRounds() throws Exception {
        String base = "cluster: orders\nmember: {name: db1, address: 10.0.0.5, dataDir: /d}\n";
        assertThat(load(base, Map.of()).failover().failsafe()).isFalse();
        assertThat(load(base + "failover: {failsafe: on}\n", Map.of()).failover().failsafe()).isTrue();
        assertThat(load(base, Map.of("AUTOPILOT_FAILOVER_FAILSAFE", "on")).failover().failsafe()).isTrue();
        assertThatThrownBy(() -> load(base + "failover: {failsafe: on, loopInterval: 1s}\n", Map.of()))
                .hasMessageContaining("failover.failsafe: on needs lock.ttl - lock.safetyMargin (3s) of at least"
                        + " 4 x failover.loopInterval + 500ms (4500ms)");
        assertThatThrownBy(() -> load(base + "failover: {failsafe: maybe}\n", Map.of()))
                .hasMessageContaining("failover.failsafe: 'maybe' is not a boolean");
    }
}
