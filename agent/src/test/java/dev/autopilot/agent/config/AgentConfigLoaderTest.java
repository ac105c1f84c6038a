package dev.autopilot.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.autopilot.storage.Secret;
import dev.autopilot.storage.StoreSettings;
import dev.autopilot.storage.manta.SigningKey;
import java.nio.file.Files;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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
                .hasMessageContaining("mysql.binlogRetention: 'a week' is not a duration (use e.g. 500ms, 3s, 5m, 1h, 7d or 1m30s)");
    }

    @Test
    void haproxyRuntimeApisAreOptionalAndEachAddressIsChecked() throws Exception {
        String base = "cluster: orders\nmember: {name: db1, address: 10.0.0.5, dataDir: /d}\n";
        assertThat(load(base, Map.of()).haproxy()).isEmpty();
        AgentConfig c = load(base + "haproxy: {runtimeApi: 'unix:/run/haproxy.sock, 10.0.0.9:9999'}\n", Map.of());
        assertThat(c.haproxy().orElseThrow()).isEqualTo(new AgentConfig.Haproxy(List.of("unix:/run/haproxy.sock", "10.0.0.9:9999"), "primary", "db1"));
        assertThatThrownBy(() -> load(base + "haproxy: {runtimeApi: 'unix:run/h.sock, haproxy', backend: 'a b'}\n", Map.of()))
                .hasMessageContaining("haproxy.runtimeApi: 'unix:run/h.sock': the socket path must be absolute")
                .hasMessageContaining("haproxy.runtimeApi: 'haproxy' is neither unix:/path/to/socket nor host:port")
                .hasMessageContaining("haproxy.backend: 'a b' is not an HAProxy name");
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
        assertThatThrownBy(() -> ClusterSecrets.load(Map.of("AUTOPILOT_ROOT_PASSWORD", "x"), withSecretsDir(dir)))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("secrets.replication-password: missing; set AUTOPILOT_REPLICATION_PASSWORD, AUTOPILOT_REPLICATION_PASSWORD_FILE")
                .hasMessageNotContaining("secrets.root-password");
    }

    private AgentConfig withSecretsDir(Path secrets) throws Exception {
        return load(BASE + "secrets: {dir: " + secrets + "}\n", Map.of());
    }

    private static final String BASE = "cluster: orders\nmember: {name: db1, address: 10.0.0.5, dataDir: /d}\n";

    private static java.util.List<String> problems(org.assertj.core.api.ThrowableAssert.ThrowingCallable load) {
        try {
            load.call();
        } catch (InvalidConfigException e) {
            return e.problems();
        } catch (Throwable t) {
            throw new AssertionError("expected a configuration error (exit 2), got " + t, t);
        }
        throw new AssertionError("expected a configuration error (exit 2), the configuration loaded");
    }

    @Test
    void overflowingDurationsAreConfigurationErrorsNamingTheSetting() {
        assertThat(problems(() -> load(BASE + "lock: {ttl: 999999999999999d}\n", Map.of())))
                .containsExactly("lock.ttl: '999999999999999d' is longer than 3650d (ten years)");
        assertThat(problems(() -> load(BASE, Map.of("AUTOPILOT_FAILOVER_PROMOTION_WINDOW", "12345678901234567890s"))))
                .containsExactly("failover.promotionWindow: '12345678901234567890s' is longer than 3650d (ten years)");
        assertThat(problems(() -> load(BASE + "backup: {directory: /b, interval: 106751991167d}\n", Map.of())))
                .anySatisfy(p -> assertThat(p).startsWith("backup.interval: '106751991167d' is longer than"));
    }

    @Test
    void everyModuleReadsDurationsByOneGrammar() throws Exception {
        assertThat(load(BASE + "failover: {promotionWindow: 1m30s}\n", Map.of()).failover().promotionWindow())
                .isEqualTo(Duration.ofSeconds(90));
        assertThat(dev.autopilot.supervisor.config.Durations.read("7d")).isEqualTo(Duration.ofDays(7));
    }

    @Test
    void aSecretPathThatIsADirectoryIsAConfigurationErrorAtLoad() throws Exception {
        Path secrets = Files.createDirectories(dir.resolve("secrets"));
        Files.createDirectories(secrets.resolve("root-password"));
        assertThat(problems(() -> ClusterSecrets.load(Map.of(), withSecretsDir(secrets))))
                .contains("secrets.root-password: " + secrets.resolve("root-password") + " is a directory, not a file holding the secret");
        assertThat(problems(() -> ClusterSecrets.load(Map.of("AUTOPILOT_CLUSTER_TOKEN_FILE", dir.toString()), withSecretsDir(secrets))))
                .contains("secrets.cluster-token: " + dir + " is a directory, not a file holding the secret (from AUTOPILOT_CLUSTER_TOKEN_FILE)");
    }

    @Test
    void aClusterTokenShorterThanSixteenCharactersIsAConfigurationError() throws Exception {
        Path secrets = secretsWith("cluster-token", "short-token\n");
        assertThat(problems(() -> ClusterSecrets.load(Map.of(), withSecretsDir(secrets))))
                .containsExactly("secrets.cluster-token: 11 characters; use at least 16 random ones (e.g. openssl rand -hex 16)");
    }

    @Test
    void secretFilesMeanTheSameEverywhereOneTrailingLineBreakDroppedSpacesKept() throws Exception {
        Path secrets = secretsWith("cluster-token", "0123456789abcdef \r\n");
        ClusterSecrets loaded = ClusterSecrets.load(Map.of(), withSecretsDir(secrets));
        assertThat(loaded.operatorToken().reveal()).isEqualTo("0123456789abcdef ");
        assertThat(loaded.cloneToken()).isEqualTo(loaded.operatorToken());
        Files.writeString(secrets.resolve("root-password"), "first\nsecond\n");
        assertThat(problems(() -> ClusterSecrets.load(Map.of(), withSecretsDir(secrets))))
                .containsExactly("secrets.root-password: " + secrets.resolve("root-password") + " holds more than one line; a secret "
                        + "file holds the secret alone (one trailing line break is allowed)");
    }

    @Test
    void operatorAndCloneTokensAreSeparateSecretsDefaultingToTheClusterToken() throws Exception {
        Path secrets = secretsWith("cluster-token", "cluster-token-0123456789");
        Files.writeString(secrets.resolve("clone-token"), "clone-token-0123456789");
        ClusterSecrets loaded = ClusterSecrets.load(Map.of("AUTOPILOT_OPERATOR_TOKEN", "operator-token-0123456789"), withSecretsDir(secrets));
        assertThat(loaded.operatorToken().reveal()).isEqualTo("operator-token-0123456789");
        assertThat(loaded.cloneToken().reveal()).isEqualTo("clone-token-0123456789");
    }

    /** A secrets directory with every required secret, and {@code name} holding {@code content}. */
    private Path secretsWith(String name, String content) throws Exception {
        Path secrets = Files.createDirectories(dir.resolve("secrets"));
        for (String s : java.util.List.of("root-password", "replication-password", "monitor-password", "backup-password")) {
            Files.writeString(secrets.resolve(s), s + "-value\n");
        }
        Files.writeString(secrets.resolve(name), content);
        return secrets;
    }

    @Test
    void aStartingAgentWaitsForItsStoreForCoordinationStartupTimeout() throws Exception {
        assertThat(load(BASE, Map.of()).coordination().startupTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(load(BASE, Map.of("AUTOPILOT_COORDINATION_STARTUP_TIMEOUT", "30s")).coordination().startupTimeout())
                .isEqualTo(Duration.ofSeconds(30));
        assertThat(problems(() -> load(BASE + "coordination: {startupTimeout: 0s}\n", Map.of())))
                .containsExactly("coordination.startupTimeout: must be positive (how long a starting agent waits for the store, e.g. 5m)");
    }

    @Test
    void relatedSettingsAreCrossChecked() {
        assertThat(problems(() -> load(BASE + "lock: {ttl: 4s, safetyMargin: 1s}\nfailover: {loopInterval: 3s}\n", Map.of())))
                .containsExactly("failover.loopInterval: 3s must be shorter than lock.ttl minus lock.safetyMargin (3s): the primary "
                        + "renews its lease from this loop and would fence itself between two turns");
        assertThat(problems(() -> load(BASE + "failover: {maximumLag: 0s}\n", Map.of())))
                .containsExactly("failover.maximumLag: must be positive (0s would make every replica ineligible for promotion)");
    }

    @Test
    void unknownAutopilotEnvironmentVariablesAreReported() {
        assertThat(problems(() -> load(BASE, Map.of("AUTOPILOT_LOCK_TTLL", "5s", "AUTOPILOT_LOG_LEVEL", "debug",
                "AUTOPILOT_ROOT_PASSWORD_FILE", "/run/secrets/root"))))
                .singleElement().satisfies(p -> assertThat(p).startsWith("AUTOPILOT_LOCK_TTLL: unknown environment variable"));
    }

    @Test
    void errorsNameSettingsAsUsersWriteThem() {
        assertThat(problems(() -> load("cluster: 'orders/eu'\nmember: {name: db1, address: 10.0.0.5, dataDir: /d}\n", Map.of())))
                .singleElement().satisfies(p -> assertThat(p).startsWith("cluster: 'orders/eu' must be"));
        assertThat(problems(() -> load(BASE + "coordination: {endpoints: ['ftp://x:1']}\n", Map.of())))
                .singleElement().satisfies(p -> assertThat(p).startsWith("coordination.endpoints: 'ftp://x:1'"));
    }

    @Test
    void coordinationTlsAndUserTakeEffectOrAreErrors() throws Exception {
        var certs = dev.autopilot.testkit.tls.TestCertificates.create(dir.resolve("tls"), "10.0.0.5");
        Path ca = certs.caFile();
        Path cert = certs.certFile("10.0.0.5");
        Path key = certs.keyFile("10.0.0.5");
        Path secrets = secretsWith("cluster-token", "cluster-token-0123456789");
        AgentConfig c = load(BASE + "coordination: {endpoints: ['https://10.0.0.1:2379'], user: autopilot, tls: {caFile: " + ca
                + ", certFile: " + cert + ", keyFile: " + key + "}}\nsecrets: {dir: " + secrets + "}\n", Map.of());
        assertThat(c.coordination().tls()).contains(new dev.autopilot.coordination.CoordinatorSettings.Tls(ca, cert, key));
        assertThat(c.coordination().user()).contains("autopilot");
        assertThat(problems(() -> ClusterSecrets.load(Map.of(), c)))
                .singleElement().satisfies(p -> assertThat(p).startsWith("secrets.coordination-password: missing"));
        Files.writeString(secrets.resolve("coordination-password"), "store-pw\n");
        var settings = ClusterSecrets.load(Map.of(), c).coordination(c.coordination());
        assertThat(settings.user()).contains("autopilot");
        assertThat(settings.password().orElseThrow().reveal()).containsExactly("store-pw".toCharArray());

        assertThat(problems(() -> load(BASE + "coordination: {tls: {caFile: " + ca + "}}\n", Map.of())))
                .singleElement().satisfies(p -> assertThat(p).startsWith("coordination.endpoints: 'http://127.0.0.1:2379' must use https"));
        assertThat(problems(() -> load(BASE + "coordination: {endpoints: ['https://h:1'], tls: {caFile: " + dir.resolve("none.pem") + "}}\n", Map.of())))
                .contains("coordination.tls.caFile: '" + dir.resolve("none.pem") + "' is not a readable file (PEM)");
        Path notPem = Files.writeString(dir.resolve("not.pem"), "not a certificate\n");
        assertThat(problems(() -> load(BASE + "api: {tls: {caFile: " + ca + ", certFile: " + notPem + ", keyFile: " + key + "}}\n", Map.of())))
                .singleElement().satisfies(p -> assertThat(p).startsWith("api.tls: cannot load the PEM files"));
        assertThat(problems(() -> load(BASE + "mysql: {tls: {caFile: " + ca + ", certFile: " + cert + "}}\n", Map.of())))
                .containsExactly("mysql.tls.keyFile: missing; TLS needs mysql.tls.caFile, mysql.tls.certFile and mysql.tls.keyFile together");
        assertThat(problems(() -> load(BASE + "coordination: {backend: consul, endpoints: ['http://h:8500'], user: x}\n", Map.of())))
                .singleElement().satisfies(p -> assertThat(p).startsWith("coordination.user: consul authenticates with an ACL token"));
    }

    @Test
    void consulTakesItsAclTokenFromTheSecretsAndEtcdRefusesOne() throws Exception {
        Path secrets = secretsWith("cluster-token", "cluster-token-0123456789");
        Files.writeString(secrets.resolve("coordination-token"), "consul-acl-token\n");
        AgentConfig consul = load(BASE + "coordination: {backend: consul, endpoints: ['http://127.0.0.1:8500']}\nsecrets: {dir: "
                + secrets + "}\n", Map.of());
        var settings = ClusterSecrets.load(Map.of(), consul).coordination(consul.coordination());
        assertThat(settings.token().orElseThrow().reveal()).containsExactly("consul-acl-token".toCharArray());
        assertThat(settings.toString()).doesNotContain("consul-acl-token");
        AgentConfig etcd = withSecretsDir(secrets);
        assertThat(problems(() -> ClusterSecrets.load(Map.of(), etcd)))
                .singleElement().satisfies(p -> assertThat(p).startsWith("secrets.coordination-token: a Consul ACL token, but coordination.backend is etcd"));
    }

    @Test
    void theOriginalImagesMantaVariablesSelectMantaForBackupsAndTheKeyStaysSecret() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        String pem = "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(generator.generateKeyPair()
                .getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n";
        String keyId = SigningKey.load(new StoreSettings.MantaKey.KeyText(new Secret(pem), "test")).md5();
        var env = Map.of("MANTA_URL", "https://us-central.manta.mnx.io", "MANTA_USER", "ops", "MANTA_SUBUSER", "backups",
                "MANTA_ROLE", "writer, reader", "MANTA_KEY_ID", keyId, "MANTA_PRIVATE_KEY", pem.replace('\n', '#'),
                "MANTA_BUCKET", "/ops/stor/mysql", "MANTA_TLS_INSECURE", "0");

        AgentConfig c = load("cluster: orders\nmember: {name: db1, address: 10.0.0.5, dataDir: /d}\n", env);

        assertThat(c.backup()).hasValueSatisfying(b -> assertThat(b.store()).isInstanceOfSatisfying(StoreSettings.Manta.class, m -> {
            assertThat(m.url()).hasToString("https://us-central.manta.mnx.io");
            assertThat(m.account()).isEqualTo("ops");
            assertThat(m.subuser()).isEqualTo("backups");
            assertThat(m.roles()).containsExactly("writer", "reader");
            assertThat(m.root()).isEqualTo("/ops/stor/mysql");
            assertThat(m.key()).isInstanceOf(StoreSettings.MantaKey.KeyText.class);
        }));
        assertThat(c.toString()).doesNotContain(pem.substring(40, 90));
    }

    @Test
    void mantaProblemsAreAllListedByTheirSettingOrVariable() {
        String base = "cluster: orders\nmember: {name: db1, address: 10.0.0.5, dataDir: /d}\n";
        assertThatThrownBy(() -> load(base + "backup: {directory: /b}\n", Map.of("MANTA_USER", "ops")))
                .hasMessageContaining("backup.directory, backup.manta.user (MANTA_USER): choose one object store, not 2");
        assertThatThrownBy(() -> load(base + "backup: {manta: {user: ops, keyId: 'aa:bb', keyFile: /nonexistent/id.pem, url: 'ftp://m'}}\n",
                Map.of("MANTA_TLS_INSECURE", "true", "MANTA_PRIVATE_KEY", "x")))
                .hasMessageContainingAll("backup.manta.url: 'ftp://m' must be an http:// or https:// URL",
                        "backup.manta.keyId: 'aa:bb' is not a key fingerprint",
                        "backup.manta.keyFile: '/nonexistent/id.pem' does not exist",
                        "backup.manta.keyFile: set, and MANTA_PRIVATE_KEY holds a key too",
                        "MANTA_TLS_INSECURE: 'true': certificate checks are never turned off");
        assertThatThrownBy(() -> load(base + "backup: {manta: {keyId: 'aa:bb'}}\n", Map.of()))
                .as("a Manta setting without the user is not silently ignored")
                .hasMessageContaining("backup.manta.user: missing");
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
