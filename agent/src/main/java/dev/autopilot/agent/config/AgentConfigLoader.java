package dev.autopilot.agent.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.autopilot.agent.routing.HaproxyRuntimeApi;
import dev.autopilot.backup.pitr.RecoveryTarget;
import dev.autopilot.coordination.CoordinatorSettings;
import dev.autopilot.coordination.support.PemTls;
import dev.autopilot.storage.StoreSettings;
import dev.autopilot.supervisor.config.Durations;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads the agent's YAML file (optional: containers may configure through the environment alone), applies
 * {@code AUTOPILOT_*} environment overrides and validates everything in one place. Every problem is
 * reported at once with its path, e.g. {@code member.address: missing}.
 */
public final class AgentConfigLoader {
    /** Every accepted setting, in documentation order. Environment names derive from these. */
    public static final List<String> SETTINGS = List.of(
            "cluster",
            "member.name", "member.address", "member.dataDir", "member.priority", "member.noFailover",
            "mysql.port", "mysql.bufferPool", "mysql.zeroLoss", "mysql.semiSyncTimeout", "mysql.appUser", "mysql.appDatabase",
            "mysql.binlogRetention", "mysql.tls.caFile", "mysql.tls.certFile", "mysql.tls.keyFile",
            "coordination.backend", "coordination.endpoints", "coordination.keyPrefix", "coordination.requestTimeout",
            "coordination.startupTimeout",
            "coordination.user", "coordination.tls.caFile", "coordination.tls.certFile", "coordination.tls.keyFile",
            "coordination.tls.serverName",
            "lock.ttl", "lock.safetyMargin",
            "failover.loopInterval", "failover.maximumLag", "failover.promotionWindow", "failover.startupGrace",
            "failover.onErrant", "failover.failsafe",
            "api.address", "api.port", "api.tls.caFile", "api.tls.certFile", "api.tls.keyFile",
            "clone.port",
            "backup.directory", "backup.s3.bucket", "backup.s3.prefix", "backup.s3.endpoint", "backup.s3.region",
            "backup.s3.pathStyle", "backup.manta.url", "backup.manta.user", "backup.manta.subuser", "backup.manta.role",
            "backup.manta.keyId", "backup.manta.keyFile", "backup.manta.directory", "backup.manta.maxObjectGib",
            "backup.interval", "backup.archiveInterval", "backup.keep",
            "bootstrap.fromBackup", "bootstrap.directory", "bootstrap.s3.bucket", "bootstrap.s3.prefix", "bootstrap.s3.endpoint",
            "bootstrap.s3.region", "bootstrap.s3.pathStyle", "bootstrap.manta.url", "bootstrap.manta.user", "bootstrap.manta.subuser",
            "bootstrap.manta.role", "bootstrap.manta.keyId", "bootstrap.manta.keyFile", "bootstrap.manta.directory",
            "bootstrap.manta.maxObjectGib",
            "haproxy.runtimeApi", "haproxy.backend", "haproxy.server",
            "secrets.dir");

    /**
     * {@code AUTOPILOT_*} variables that are not settings or secrets but are read by the launcher ({@code bin/autopilot},
     * {@code deploy/autopilot}), the logging setup, or the test harness; any other is a misspelt setting.
     */
    static final List<String> OTHER_VARIABLES = List.of("AUTOPILOT_LOG_LEVEL", "AUTOPILOT_JAVA_OPTS", "AUTOPILOT_JVM_FLAGS",
            "AUTOPILOT_KEEP_TEST_DATA", "AUTOPILOT_PARENT_NETNS", "AUTOPILOT_PARENT_MNTNS");

    /** Built when a file is read, not when the class loads: quick CLI commands use {@link #environmentName} alone. */
    private static final class Yaml {
        static final ObjectMapper MAPPER = new ObjectMapper(new YAMLFactory());
    }

    private final Map<String, String> env;

    public AgentConfigLoader(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    /** The environment variable that sets {@code path}: {@code member.noFailover} → {@code AUTOPILOT_MEMBER_NO_FAILOVER}. */
    public static String environmentName(String path) {
        return SettingsTree.envName(path);
    }

    /** Loads {@code file} (or only the environment when {@code file} is empty). */
    public AgentConfig load(Optional<Path> file) throws InvalidConfigException {
        JsonNode yaml = null;
        if (file.isPresent()) {
            try {
                yaml = Yaml.MAPPER.readTree(Files.readString(file.get()));
            } catch (JacksonException e) {
                throw new InvalidConfigException(List.of(file.get() + ": not valid YAML: " + e.getOriginalMessage()));
            } catch (IOException e) {
                throw new InvalidConfigException(List.of(file.get() + ": cannot read (" + e.getMessage() + ")"));
            }
            if (yaml != null && !yaml.isNull() && !yaml.isObject()) {
                throw new InvalidConfigException(List.of(file.get() + ": expected a mapping of settings"));
            }
        }
        SettingsTree settings = new SettingsTree(yaml, env, SETTINGS);
        unknownVariables().forEach(settings::problem);
        return bind(settings);
    }

    /**
     * The coordination store settings alone, from the environment (as inside an agent's container): what the CLI
     * needs to read the cluster, validated by the same rules as the agent's.
     */
    public CoordinatorSettings coordinationFromEnvironment() throws InvalidConfigException {
        SettingsTree s = new SettingsTree(null, env, SETTINGS);
        String cluster = s.required("cluster", "name the cluster, e.g. cluster: orders");
        CoordinatorSettings settings = coordination(s, cluster);
        if (!s.problems().isEmpty()) {
            throw new InvalidConfigException(s.problems());
        }
        return settings;
    }

    /** {@code AUTOPILOT_*} variables that name no setting, no secret and nothing else read: most likely a typo. */
    private List<String> unknownVariables() {
        Set<String> known = new HashSet<>(OTHER_VARIABLES);
        SETTINGS.forEach(path -> known.add(environmentName(path)));
        for (String secret : ClusterSecrets.NAMES) {
            known.add(ClusterSecrets.environmentName(secret));
            known.add(ClusterSecrets.environmentName(secret) + "_FILE");
        }
        return env.keySet().stream().filter(k -> k.startsWith("AUTOPILOT_") && !known.contains(k)).sorted()
                .map(k -> k + ": unknown environment variable; a setting's is AUTOPILOT_ and its path in capitals with '_' "
                        + "between words (lock.ttl: AUTOPILOT_LOCK_TTL), a secret's AUTOPILOT_<SECRET> or AUTOPILOT_<SECRET>_FILE "
                        + "(docs/configuration.md lists both)")
                .toList();
    }

    /**
     * PEM files under {@code prefix} ({@code .caFile}, {@code .certFile}, {@code .keyFile}), each a readable file; the
     * certificate and key may be left out only where {@code clientCertificateOptional}.
     */
    private static Optional<AgentConfig.Tls> tls(SettingsTree s, String prefix, boolean clientCertificateOptional) {
        Optional<String> ca = s.optional(prefix + ".caFile");
        Optional<String> cert = s.optional(prefix + ".certFile");
        Optional<String> key = s.optional(prefix + ".keyFile");
        if (ca.isEmpty() && cert.isEmpty() && key.isEmpty()) {
            return Optional.empty();
        }
        List<String> missing = new ArrayList<>();
        ca.ifPresentOrElse(f -> { }, () -> missing.add(prefix + ".caFile"));
        if (cert.isEmpty() != key.isEmpty() || !clientCertificateOptional && cert.isEmpty()) {
            cert.ifPresentOrElse(f -> { }, () -> missing.add(prefix + ".certFile"));
            key.ifPresentOrElse(f -> { }, () -> missing.add(prefix + ".keyFile"));
        }
        if (!missing.isEmpty()) {
            s.problem(String.join(", ", missing) + ": missing; TLS needs " + (clientCertificateOptional
                    ? prefix + ".caFile, and " + prefix + ".certFile with " + prefix + ".keyFile for a client certificate"
                    : prefix + ".caFile, " + prefix + ".certFile and " + prefix + ".keyFile together"));
            return Optional.empty();
        }
        boolean readable = true;
        for (String name : List.of("caFile", "certFile", "keyFile")) {
            Optional<Path> file = s.optional(prefix + "." + name).map(Path::of);
            if (file.isPresent() && !(Files.isRegularFile(file.get()) && Files.isReadable(file.get()))) {
                s.problem(prefix + "." + name + ": '" + file.get() + "' is not a readable file (PEM)");
                readable = false;
            }
        }
        if (!readable) {
            return Optional.empty();
        }
        var tls = new AgentConfig.Tls(Path.of(ca.get()), cert.map(Path::of).orElse(null), key.map(Path::of).orElse(null));
        try {
            // Parse them now: a wrong file is a configuration error (exit 2), not a failure halfway through the start.
            PemTls.context(tls.caFile(), tls.certFile(), tls.keyFile(), prefix);
        } catch (IllegalArgumentException e) {
            s.problem(e.getMessage());
            return Optional.empty();
        }
        return Optional.of(tls);
    }

    /** {@code coordination.*}, with every problem named as users write the setting. */
    private static CoordinatorSettings coordination(SettingsTree s, String cluster) {
        List<URI> endpoints = new ArrayList<>();
        for (String e : s.list("coordination.endpoints", List.of("http://127.0.0.1:2379"))) {
            try {
                endpoints.add(URI.create(e));
            } catch (IllegalArgumentException ex) {
                s.problem("coordination.endpoints: '" + e + "' is not a URL (e.g. http://10.0.0.1:2379)");
            }
        }
        var backend = s.choice("coordination.backend", CoordinatorSettings.Backend.class, CoordinatorSettings.Backend.ETCD);
        Duration requestTimeout = s.duration("coordination.requestTimeout", Duration.ofSeconds(2));
        // A member started before its store (a compose file, a host reboot) waits for it rather than exiting.
        Duration startupTimeout = s.duration("coordination.startupTimeout", Duration.ofMinutes(5));
        if (!startupTimeout.isPositive()) {
            s.problem("coordination.startupTimeout: must be positive (how long a starting agent waits for the store, e.g. 5m)");
            startupTimeout = Duration.ofMinutes(5);
        }
        Optional<CoordinatorSettings.Tls> tls = tls(s, "coordination.tls", true)
                .map(t -> new CoordinatorSettings.Tls(t.caFile(), t.certFile(), t.keyFile(),
                        s.optional("coordination.tls.serverName").orElse(null)));
        if (tls.isEmpty() && s.optional("coordination.tls.serverName").isPresent()) {
            s.problem("coordination.tls.serverName: set without coordination.tls.caFile; set the CA too, or remove it");
        }
        Optional<String> user = s.optional("coordination.user");
        if (user.isPresent() && backend == CoordinatorSettings.Backend.CONSUL) {
            s.problem("coordination.user: consul authenticates with an ACL token; remove coordination.user and give the token as "
                    + "secret coordination-token (AUTOPILOT_COORDINATION_TOKEN[_FILE] or secrets.dir/coordination-token)");
            user = Optional.empty();
        }
        var coordination = new CoordinatorSettings(backend, endpoints, cluster, s.optional("coordination.keyPrefix").orElse(null),
                requestTimeout, startupTimeout, tls, user, Optional.empty(), Optional.empty());
        // The password is a secret, read and checked with the others (ClusterSecrets), not a setting.
        coordination.validate().stream().filter(p -> !p.startsWith("coordination.user/password:"))
                .map(AgentConfigLoader::asWritten).forEach(s::problem);
        return coordination;
    }

    /** A problem from {@link CoordinatorSettings#validate()} with the setting named as users write it ({@code cluster}). */
    private static String asWritten(String problem) {
        return problem.replaceFirst("^coordination\\.cluster:", "cluster:")
                .replaceFirst("^coordination\\.endpoints\\[\\d+]:", "coordination.endpoints:");
    }


    /**
     * An object store under {@code prefix}: {@code <prefix>.directory}, {@code <prefix>.s3.bucket} (credentials: the
     * AWS SDK's standard chain) or {@code <prefix>.manta.user} (for {@code backup}, also the original image's
     * {@code MANTA_*} variables, see {@link MantaVariables}); empty when none is set.
     */
    private static Optional<StoreSettings> objectStore(SettingsTree s, String prefix, MantaVariables original) {
        Optional<String> dir = s.optional(prefix + ".directory");
        Optional<String> bucket = s.optional(prefix + ".s3.bucket");
        Optional<String> manta = s.optional(prefix + ".manta.user").or(original::user);
        List<String> chosen = new ArrayList<>();
        dir.ifPresent(d -> chosen.add(prefix + ".directory"));
        bucket.ifPresent(b -> chosen.add(prefix + ".s3.bucket"));
        manta.ifPresent(m -> chosen.add(prefix + ".manta.user" + (s.optional(prefix + ".manta.user").isEmpty() ? " (MANTA_USER)" : "")));
        if (chosen.size() > 1) {
            s.problem(String.join(", ", chosen) + ": choose one object store, not " + chosen.size());
            return Optional.empty();
        }
        if (manta.isEmpty() && SETTINGS.stream().anyMatch(p -> p.startsWith(prefix + ".manta.") && s.optional(p).isPresent())) {
            s.problem(prefix + ".manta.user: missing; the other " + prefix + ".manta.* settings name a Manta store, which"
                    + " needs the account (" + (prefix.equals("backup") ? "or MANTA_USER" : "the old cluster's") + ")");
            return Optional.empty();
        }
        StoreSettings store;
        if (manta.isPresent()) {
            store = original.settings(s, prefix);
        } else if (dir.isPresent()) {
            store = new StoreSettings.Directory(Path.of(dir.get()));
        } else if (bucket.isPresent()) {
            URI endpoint = null;
            try {
                endpoint = s.optional(prefix + ".s3.endpoint").map(URI::create).orElse(null);
            } catch (IllegalArgumentException e) {
                s.problem(prefix + ".s3.endpoint: not a URL (e.g. http://minio:9000)");
            }
            store = new StoreSettings.S3(bucket.get(), s.string(prefix + ".s3.prefix", ""), endpoint,
                    s.optional(prefix + ".s3.region").orElse(null), s.bool(prefix + ".s3.pathStyle", endpoint != null),
                    new StoreSettings.Credentials.DefaultChain());
        } else {
            return Optional.empty();
        }
        store.problems(prefix).forEach(s::problem);
        return Optional.of(store);
    }

    /** Snapshots and the binlog archive, when {@code backup.*} names an object store. */
    private static Optional<AgentConfig.Backup> backup(SettingsTree s, MantaVariables original) {
        Optional<StoreSettings> objects = objectStore(s, "backup", original);
        if (objects.isEmpty()) {
            return Optional.empty();
        }
        StoreSettings store = objects.get();
        var backup = new AgentConfig.Backup(store, s.duration("backup.interval", Duration.ofHours(6)),
                s.duration("backup.archiveInterval", Duration.ofMinutes(5)), s.integer("backup.keep", 7, 1, 1000));
        if (backup.archiveInterval().toSeconds() < 10) {
            s.problem("backup.archiveInterval: must be at least 10s");
        }
        return Optional.of(backup);
    }

    private AgentConfig bind(SettingsTree s) throws InvalidConfigException {
        String cluster = s.required("cluster", "name the cluster, e.g. cluster: orders");
        String name = s.string("member.name", env.getOrDefault("HOSTNAME", null));
        if (name == null) {
            s.problem("member.name: missing; give each member a stable name (or set AUTOPILOT_MEMBER_NAME)");
        } else if (!name.matches("[a-z0-9][a-z0-9-]{0,62}")) {
            s.problem("member.name: '" + name + "' must be 1-63 lowercase letters, digits or '-'");
        }
        String address = s.required("member.address", "the address peers reach this member on, e.g. 10.0.0.5");
        String dataDir = s.required("member.dataDir", "a directory for the database and agent state");
        if (dataDir != null && !Path.of(dataDir).isAbsolute()) {
            s.problem("member.dataDir: '" + dataDir + "' must be an absolute path");
        }
        var member = new AgentConfig.Member(name, address, dataDir == null ? null : Path.of(dataDir),
                s.integer("member.priority", 100, 0, 1_000_000), s.bool("member.noFailover", false));

        var mysql = new AgentConfig.Mysql(s.integer("mysql.port", 3306, 1, 65535),
                (long) s.integer("mysql.bufferPool", 0, 0, Integer.MAX_VALUE) << 20,
                s.bool("mysql.zeroLoss", false), s.duration("mysql.semiSyncTimeout", Duration.ofSeconds(10)),
                s.optional("mysql.appUser"), s.optional("mysql.appDatabase"),
                s.duration("mysql.binlogRetention", Duration.ofDays(7)), tls(s, "mysql.tls", false));
        if (!mysql.binlogRetention().isZero() && mysql.binlogRetention().toSeconds() < 1) {
            s.problem("mysql.binlogRetention: must be 0 (keep every binlog) or at least 1s");
        }

        CoordinatorSettings coordination = coordination(s, cluster);

        var lock = new AgentConfig.Lock(s.duration("lock.ttl", Duration.ofSeconds(4)), s.duration("lock.safetyMargin", Duration.ofSeconds(1)));
        if (lock.ttl().toMillis() < 2000 || lock.ttl().toMillis() % 1000 != 0) {
            s.problem("lock.ttl: " + lock.ttl().toMillis() + "ms must be whole seconds, at least 2s (etcd lease granularity)");
        }
        if (!lock.safetyMargin().isPositive() || lock.safetyMargin().compareTo(lock.ttl().dividedBy(2)) > 0) {
            s.problem("lock.safetyMargin: " + lock.safetyMargin().toMillis() + "ms must be positive and at most half of lock.ttl");
        }

        var failover = new AgentConfig.Failover(s.duration("failover.loopInterval", Duration.ofMillis(500)),
                s.duration("failover.maximumLag", Duration.ofSeconds(30)),
                s.duration("failover.promotionWindow", Duration.ofMinutes(5)),
                s.duration("failover.startupGrace", Duration.ofSeconds(15)),
                s.choice("failover.onErrant", AgentConfig.OnErrant.class, AgentConfig.OnErrant.REBUILD),
                s.bool("failover.failsafe", false));
        if (failover.loopInterval().toMillis() < 100) {
            s.problem("failover.loopInterval: must be at least 100ms");
        }
        // Failsafe rounds start two loop intervals after the store went silent and must be confirmed before the lease
        // deadline, which can come half a second after the store's last answer (renewals every 500 ms at most).
        Duration failsafeNeeds = failover.loopInterval().multipliedBy(4).plusMillis(500);
        if (failover.failsafe() && lock.ttl().minus(lock.safetyMargin()).compareTo(failsafeNeeds) < 0) {
            s.problem("failover.failsafe: on needs lock.ttl - lock.safetyMargin (" + Durations.write(lock.ttl().minus(lock.safetyMargin()))
                    + ") of at least 4 x failover.loopInterval + 500ms (" + Durations.write(failsafeNeeds)
                    + "); raise lock.ttl or lower failover.loopInterval");
        }
        if (failover.loopInterval().compareTo(lock.ttl().minus(lock.safetyMargin())) >= 0) {
            s.problem("failover.loopInterval: " + Durations.write(failover.loopInterval()) + " must be shorter than lock.ttl minus "
                    + "lock.safetyMargin (" + Durations.write(lock.ttl().minus(lock.safetyMargin())) + "): the primary renews its "
                    + "lease from this loop and would fence itself between two turns");
        }
        if (!failover.maximumLag().isPositive()) {
            s.problem("failover.maximumLag: must be positive (0s would make every replica ineligible for promotion)");
        }

        var api = new AgentConfig.Api(s.string("api.address", address), s.integer("api.port", 8008, 1, 65535),
                tls(s, "api.tls", false));
        if (failover.failsafe() && api.tls().isPresent()) {
            // Failsafe rounds call the peers' REST APIs over plain HTTP; they would fail against HTTPS-only peers.
            s.problem("failover.failsafe: cannot be combined with api.tls yet (failsafe rounds speak plain HTTP); turn one off");
        }
        int clonePort = s.integer("clone.port", 4444, 1, 65535);
        if (clonePort == api.port() || clonePort == mysql.port() || api.port() == mysql.port()) {
            s.problem("api.port, clone.port, mysql.port: must be three different ports (got " + api.port() + ", "
                    + clonePort + ", " + mysql.port() + ")");
        }
        Optional<Path> secrets = s.optional("secrets.dir").map(Path::of);
        secrets.filter(p -> !Files.isDirectory(p))
                .ifPresent(p -> s.problem("secrets.dir: '" + p + "' is not a directory"));

        Optional<AgentConfig.Backup> backup = backup(s, new MantaVariables(env));
        backup.filter(b -> !mysql.binlogRetention().isZero() && mysql.binlogRetention().compareTo(b.interval().multipliedBy(2)) < 0)
                .ifPresent(b -> s.problem("mysql.binlogRetention: " + Durations.write(mysql.binlogRetention())
                        + " must be at least twice backup.interval (" + Durations.write(b.interval()) + "): a member restored"
                        + " from the newest snapshot replicates the primary's binlogs since it; raise it or take snapshots more often"));
        Optional<AgentConfig.Bootstrap> bootstrap = bootstrap(s, backup);
        Optional<AgentConfig.Haproxy> haproxy = haproxy(s, member.name());
        if (!s.problems().isEmpty()) {
            throw new InvalidConfigException(s.problems());
        }
        return new AgentConfig(cluster, member, mysql, coordination, lock, failover, api, clonePort, secrets, backup, bootstrap, haproxy);
    }

    /**
     * {@code bootstrap.fromBackup}: the backup a new cluster starts from, in {@code bootstrap.*}'s object store or else
     * in {@code backup.*}'s. A point in the past may not be restored from the store the new cluster archives to: its
     * binlogs would continue a history the archive already has a different continuation of.
     */
    private static Optional<AgentConfig.Bootstrap> bootstrap(SettingsTree s, Optional<AgentConfig.Backup> backup) {
        Optional<StoreSettings> own = objectStore(s, "bootstrap", MantaVariables.NONE);
        Optional<String> from = s.optional("bootstrap.fromBackup");
        if (from.isEmpty()) {
            if (own.isPresent()) {
                s.problem("bootstrap.fromBackup: missing; bootstrap.directory / bootstrap.s3.* / bootstrap.manta.* name a backup to start from, "
                        + "so say which point of it: latest, a UTC time (2026-11-25T12:00:00Z) or a GTID position (0-1-42)");
            }
            return Optional.empty();
        }
        RecoveryTarget target;
        try {
            target = RecoveryTarget.parse(from.get());
        } catch (IllegalArgumentException e) {
            s.problem("bootstrap.fromBackup: " + e.getMessage());
            return Optional.empty();
        }
        Optional<StoreSettings> source = own.or(() -> backup.map(AgentConfig.Backup::store));
        if (source.isEmpty()) {
            s.problem("bootstrap.fromBackup: no object store to restore from; set bootstrap.directory, bootstrap.s3.bucket or bootstrap.manta.user "
                    + "(the old cluster's backups), or backup.*");
            return Optional.empty();
        }
        boolean sameStore = backup.map(AgentConfig.Backup::store).filter(source.get()::equals).isPresent();
        if (sameStore && !(target instanceof RecoveryTarget.Latest)) {
            s.problem("bootstrap.fromBackup: '" + from.get() + "' is a point in the past of the backups in backup.*, where this "
                    + "cluster would archive a second history after it; point bootstrap.* at the old backups and backup.* at a new place");
        }
        return Optional.of(new AgentConfig.Bootstrap(target, source.get()));
    }

    /** {@code haproxy.*}: the runtime APIs this member tells when its writes open or close; none by default. */
    private static Optional<AgentConfig.Haproxy> haproxy(SettingsTree s, String member) {
        List<String> apis = s.list("haproxy.runtimeApi", List.of());
        for (String api : apis) {
            try {
                HaproxyRuntimeApi.of(api);
            } catch (IllegalArgumentException e) {
                s.problem("haproxy.runtimeApi: " + e.getMessage());
            }
        }
        String backend = s.string("haproxy.backend", "primary");
        String server = s.string("haproxy.server", member);
        Map.of("haproxy.backend", backend, "haproxy.server", server).forEach((setting, name) -> {
            if (!name.matches("[A-Za-z0-9_.:-]+")) {
                s.problem(setting + ": '" + name + "' is not an HAProxy name (letters, digits, '_', '.', ':', '-')");
            }
        });
        return apis.isEmpty() ? Optional.empty() : Optional.of(new AgentConfig.Haproxy(apis, backend, server));
    }
}
