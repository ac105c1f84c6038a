package dev.autopilot.agent.config;

import dev.autopilot.mysql.auth.Credentials;
import dev.autopilot.mysql.auth.Secret;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The secrets every member of a cluster shares: database passwords and the cluster token that authenticates
 * live clones and mutating REST calls. Each comes from the environment ({@code AUTOPILOT_ROOT_PASSWORD}), a
 * file named by the environment ({@code AUTOPILOT_ROOT_PASSWORD_FILE}), or a file in {@code secrets.dir}
 * ({@code root-password}), in that order. They are never written to the store or to logs.
 */
public record ClusterSecrets(Credentials root, Credentials replication, Credentials monitor, Credentials backup,
                             Optional<Secret> appPassword, Secret clusterToken) {

    /** User names Autopilot creates; fixed so every member agrees without coordination. */
    public static final String REPLICATION_USER = "autopilot_repl";
    public static final String MONITOR_USER = "autopilot_monitor";
    public static final String BACKUP_USER = "autopilot_backup";

    /** Reads every secret, listing all that are missing. */
    public static ClusterSecrets load(Map<String, String> env, Optional<Path> dir, boolean appUserConfigured)
            throws InvalidConfigException {
        List<String> problems = new ArrayList<>();
        Secret root = read(env, dir, "root-password", problems);
        Secret repl = read(env, dir, "replication-password", problems);
        Secret monitor = read(env, dir, "monitor-password", problems);
        Secret backup = read(env, dir, "backup-password", problems);
        Secret token = read(env, dir, "cluster-token", problems);
        Optional<Secret> app = Optional.empty();
        if (appUserConfigured) {
            app = Optional.ofNullable(read(env, dir, "app-password", problems));
        }
        if (!problems.isEmpty()) {
            throw new InvalidConfigException(problems);
        }
        return new ClusterSecrets(new Credentials("root", root), new Credentials(REPLICATION_USER, repl),
                new Credentials(MONITOR_USER, monitor), new Credentials(BACKUP_USER, backup), app, token);
    }

    private static Secret read(Map<String, String> env, Optional<Path> dir, String name, List<String> problems) {
        String var = "AUTOPILOT_" + name.replace('-', '_').toUpperCase();
        String value = env.get(var);
        if (value != null && !value.isEmpty()) {
            return Secret.of(value);
        }
        String file = env.get(var + "_FILE");
        Path path = file != null ? Path.of(file) : dir.map(d -> d.resolve(name)).orElse(null);
        if (path != null && Files.isReadable(path)) {
            Secret s = Secret.fromFile(path);
            if (!s.isEmpty()) {
                return s;
            }
            problems.add("secrets." + name + ": " + path + " is empty");
            return null;
        }
        problems.add("secrets." + name + ": missing; set " + var + ", " + var + "_FILE, or put a file '" + name
                + "' in secrets.dir" + (path != null ? " (" + path + " is not readable)" : ""));
        return null;
    }
}
