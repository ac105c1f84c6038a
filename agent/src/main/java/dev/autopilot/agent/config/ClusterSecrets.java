package dev.autopilot.agent.config;

import dev.autopilot.coordination.CoordinatorSettings;
import dev.autopilot.mysql.auth.Credentials;
import dev.autopilot.mysql.auth.Secret;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The secrets every member of a cluster shares: database passwords, the tokens that authenticate operator calls and
 * live clones, and the coordination store's password or token. Each comes from the environment
 * ({@code AUTOPILOT_ROOT_PASSWORD}), a file named by the environment ({@code AUTOPILOT_ROOT_PASSWORD_FILE}), or a file in
 * {@code secrets.dir} ({@code root-password}), in that order; files are read by the one rule of
 * {@link Secret#fromFile}. They are never written to the store or to logs.
 *
 * @param operatorToken        what {@code POST} calls of the REST API must present ({@code operator-token}, else
 *                             {@code cluster-token})
 * @param cloneToken           what joiners and donors of a live clone prove to each other ({@code clone-token}, else
 *                             {@code cluster-token})
 * @param coordinationPassword the etcd password of {@code coordination.user} ({@code coordination-password})
 * @param coordinationToken    the Consul ACL token ({@code coordination-token}), optional
 */
public record ClusterSecrets(Credentials root, Credentials replication, Credentials monitor, Credentials backup,
                             Optional<Secret> appPassword, Secret operatorToken, Secret cloneToken,
                             Optional<Secret> coordinationPassword, Optional<Secret> coordinationToken) {

    /** User names Autopilot creates; fixed so every member agrees without coordination. */
    public static final String REPLICATION_USER = "autopilot_repl";
    public static final String MONITOR_USER = "autopilot_monitor";
    public static final String BACKUP_USER = "autopilot_backup";

    /** Tokens shorter than this would be guessable offline from one recorded clone handshake. */
    public static final int MIN_TOKEN_LENGTH = 16;

    /** Every secret's file name in {@code secrets.dir}; the environment variables derive from it. */
    public static final List<String> NAMES = List.of("root-password", "replication-password", "monitor-password",
            "backup-password", "app-password", "cluster-token", "operator-token", "clone-token", "coordination-password",
            "coordination-token");

    /** {@code root-password} → {@code AUTOPILOT_ROOT_PASSWORD} (and {@code ..._FILE}). */
    public static String environmentName(String name) {
        return "AUTOPILOT_" + name.replace('-', '_').toUpperCase();
    }

    /** Reads every secret {@code config} needs, listing every one missing or unusable. */
    public static ClusterSecrets load(Map<String, String> env, AgentConfig config) throws InvalidConfigException {
        List<String> problems = new ArrayList<>();
        Lookup lookup = new Lookup(env, config.secretsDir(), problems);
        Secret root = lookup.required("root-password");
        Secret repl = lookup.required("replication-password");
        Secret monitor = lookup.required("monitor-password");
        Secret backup = lookup.required("backup-password");
        Optional<Secret> app = config.mysql().appUser().isPresent() ? Optional.ofNullable(lookup.required("app-password")) : Optional.empty();
        Optional<Secret> operator = lookup.optional("operator-token");
        Optional<Secret> clone = lookup.optional("clone-token");
        Secret cluster = operator.isPresent() && clone.isPresent() ? null : lookup.required("cluster-token");
        Secret operatorToken = lookup.token(operator, "operator-token", cluster);
        Secret cloneToken = lookup.token(clone, "clone-token", cluster);
        StoreSecrets store = storeSecrets(lookup, config.coordination());
        if (!problems.isEmpty()) {
            throw new InvalidConfigException(problems);
        }
        return new ClusterSecrets(new Credentials("root", root), new Credentials(REPLICATION_USER, repl),
                new Credentials(MONITOR_USER, monitor), new Credentials(BACKUP_USER, backup), app, operatorToken, cloneToken,
                store.password(), store.token());
    }

    /**
     * {@code settings} with the coordination store's secrets from the same sources as {@link #load}: what the CLI
     * needs to read the cluster without the database passwords.
     */
    public static CoordinatorSettings coordinationWithSecrets(Map<String, String> env, Optional<Path> dir, CoordinatorSettings settings)
            throws InvalidConfigException {
        List<String> problems = new ArrayList<>();
        StoreSecrets store = storeSecrets(new Lookup(env, dir, problems), settings);
        if (!problems.isEmpty()) {
            throw new InvalidConfigException(problems);
        }
        return apply(settings, store.password(), store.token());
    }

    private record StoreSecrets(Optional<Secret> password, Optional<Secret> token) {
    }

    /** The etcd password when {@code coordination.user} is set (then required), the Consul token when given. */
    private static StoreSecrets storeSecrets(Lookup lookup, CoordinatorSettings settings) {
        Optional<Secret> password = Optional.empty();
        if (settings.user().isPresent()) {
            password = Optional.ofNullable(lookup.required("coordination-password"));
        } else if (lookup.optional("coordination-password").isPresent()) {
            lookup.problems().add("secrets.coordination-password: set, but coordination.user is not; set the etcd user it belongs to");
        }
        Optional<Secret> token = lookup.optional("coordination-token");
        if (token.isPresent() && settings.backend() != CoordinatorSettings.Backend.CONSUL) {
            lookup.problems().add("secrets.coordination-token: a Consul ACL token, but coordination.backend is "
                    + settings.backend().name().toLowerCase() + "; etcd authenticates with coordination.user and secret coordination-password");
        }
        return new StoreSecrets(password, token);
    }

    /**
     * The store settings with their secrets: {@code config}'s {@code coordination.*} plus the etcd password or Consul
     * token read here.
     */
    public CoordinatorSettings coordination(CoordinatorSettings settings) {
        return apply(settings, coordinationPassword, coordinationToken);
    }

    private static CoordinatorSettings apply(CoordinatorSettings settings, Optional<Secret> password, Optional<Secret> token) {
        CoordinatorSettings with = settings;
        if (settings.user().isPresent() && password.isPresent()) {
            with = with.withUser(settings.user().get(), storeSecret(password.get()));
        }
        if (token.isPresent()) {
            with = with.withToken(storeSecret(token.get()));
        }
        return with;
    }

    private static dev.autopilot.coordination.Secret storeSecret(Secret s) {
        return dev.autopilot.coordination.Secret.of(s.reveal().toCharArray());
    }

    /** One secret's sources, in order; every problem goes to {@code problems} under {@code secrets.<name>}. */
    private record Lookup(Map<String, String> env, Optional<Path> dir, List<String> problems) {

        Secret required(String name) {
            Optional<Secret> s = optional(name);
            if (s.isEmpty() && !reported(name)) {
                String var = environmentName(name);
                Path inDir = dir.map(d -> d.resolve(name)).orElse(null);
                problems.add("secrets." + name + ": missing; set " + var + ", " + var + "_FILE, or put a file '" + name
                        + "' in secrets.dir" + (inDir != null ? " (there is no " + inDir + ")" : ""));
            }
            return s.orElse(null);
        }

        /** Empty when no source names it; a source that names it but cannot give it is a problem. */
        Optional<Secret> optional(String name) {
            String var = environmentName(name);
            String value = env.get(var);
            if (value != null && !value.isEmpty()) {
                return Optional.of(Secret.of(value));
            }
            String file = env.get(var + "_FILE");
            Path path = file != null && !file.isEmpty() ? Path.of(file) : dir.map(d -> d.resolve(name)).filter(Files::exists).orElse(null);
            if (path == null) {
                return Optional.empty();
            }
            try {
                return Optional.of(Secret.fromFile(path));
            } catch (IllegalArgumentException e) {
                String problem = "secrets." + name + ": " + e.getMessage() + (file != null ? " (from " + var + "_FILE)" : "");
                if (!problems.contains(problem)) {
                    problems.add(problem);
                }
                return Optional.empty();
            }
        }

        private boolean reported(String name) {
            return problems.stream().anyMatch(p -> p.startsWith("secrets." + name + ":"));
        }

        /** {@code own} or else the cluster token, at least {@link #MIN_TOKEN_LENGTH} characters. */
        Secret token(Optional<Secret> own, String name, Secret cluster) {
            String used = own.isPresent() ? name : "cluster-token";
            Secret token = own.orElse(cluster);
            if (token != null && token.reveal().length() < MIN_TOKEN_LENGTH) {
                String problem = "secrets." + used + ": " + token.reveal().length() + " characters; use at least " + MIN_TOKEN_LENGTH
                        + " random ones (e.g. openssl rand -hex 16)";
                if (!problems.contains(problem)) {
                    problems.add(problem);
                }
            }
            return token;
        }
    }
}
