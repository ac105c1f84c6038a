package dev.autopilot.agent.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.autopilot.coordination.CoordinatorSettings;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
            "coordination.backend", "coordination.endpoints", "coordination.keyPrefix", "coordination.requestTimeout",
            "coordination.user",
            "lock.ttl", "lock.safetyMargin",
            "failover.loopInterval", "failover.maximumLag", "failover.promotionWindow", "failover.startupGrace",
            "failover.onErrant",
            "api.address", "api.port",
            "clone.port",
            "secrets.dir");

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

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
                yaml = YAML.readTree(Files.readString(file.get()));
            } catch (JacksonException e) {
                throw new InvalidConfigException(List.of(file.get() + ": not valid YAML: " + e.getOriginalMessage()));
            } catch (IOException e) {
                throw new InvalidConfigException(List.of(file.get() + ": cannot read (" + e.getMessage() + ")"));
            }
            if (yaml != null && !yaml.isNull() && !yaml.isObject()) {
                throw new InvalidConfigException(List.of(file.get() + ": expected a mapping of settings"));
            }
        }
        return bind(new SettingsTree(yaml, env, SETTINGS));
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
                s.optional("mysql.appUser"), s.optional("mysql.appDatabase"));

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
        var coordination = new CoordinatorSettings(backend, endpoints, cluster, s.optional("coordination.keyPrefix").orElse(null),
                requestTimeout, Duration.ofSeconds(10), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
        coordination.validate().forEach(s::problem);

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
                s.choice("failover.onErrant", AgentConfig.OnErrant.class, AgentConfig.OnErrant.REBUILD));
        if (failover.loopInterval().toMillis() < 100) {
            s.problem("failover.loopInterval: must be at least 100ms");
        }

        var api = new AgentConfig.Api(s.string("api.address", address), s.integer("api.port", 8008, 1, 65535));
        int clonePort = s.integer("clone.port", 4444, 1, 65535);
        if (clonePort == api.port() || clonePort == mysql.port() || api.port() == mysql.port()) {
            s.problem("api.port, clone.port, mysql.port: must be three different ports (got " + api.port() + ", "
                    + clonePort + ", " + mysql.port() + ")");
        }
        Optional<Path> secrets = s.optional("secrets.dir").map(Path::of);
        secrets.filter(p -> !Files.isDirectory(p))
                .ifPresent(p -> s.problem("secrets.dir: '" + p + "' is not a directory"));

        if (!s.problems().isEmpty()) {
            throw new InvalidConfigException(s.problems());
        }
        return new AgentConfig(cluster, member, mysql, coordination, lock, failover, api, clonePort, secrets);
    }
}
