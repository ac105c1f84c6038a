package dev.autopilot.cli.cluster;

import dev.autopilot.agent.config.AgentConfig;
import dev.autopilot.agent.config.AgentConfigLoader;
import dev.autopilot.agent.config.InvalidConfigException;
import dev.autopilot.cli.CommandFailure;
import dev.autopilot.cli.local.LocalLayout;
import dev.autopilot.cli.local.LocalState;
import dev.autopilot.coordination.CoordinatorSettings;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * How a command finds the cluster (a mixin shared by every cluster command), tried in this order:
 * {@code --config agent.yaml} (the agent's own file and loader); {@code --etcd URL --cluster NAME};
 * the agent's environment ({@code AUTOPILOT_CLUSTER}, {@code AUTOPILOT_COORDINATION_ENDPOINTS}, as inside a
 * container); the local cluster under {@code --dir} (default {@code ./.local}) when one is up.
 */
public final class ClusterOptions {
    @Option(names = "--config", paramLabel = "FILE", description = "An agent's configuration file (agent.yaml).")
    Path config;

    @Option(names = "--etcd", paramLabel = "URL", split = ",", description = "etcd endpoints, e.g. http://10.0.0.1:2379.")
    List<URI> etcd;

    @Option(names = "--cluster", paramLabel = "NAME", description = "Cluster name (with --etcd).")
    String cluster;

    @Option(names = "--dir", paramLabel = "DIR", description = "Local cluster directory (default ./.local).")
    Path dir;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "File holding the cluster token (default: AUTOPILOT_CLUSTER_TOKEN[_FILE], secrets.dir, or the local cluster's).")
    Path tokenFile;

    /** Resolves where the cluster is; fails with usage when nothing names one. */
    public ClusterTarget resolve(Map<String, String> env) {
        if (config != null) {
            AgentConfig c;
            try {
                c = new AgentConfigLoader(env).load(Optional.of(config));
            } catch (InvalidConfigException e) {
                throw CommandFailure.usage(config + " is invalid: " + String.join("; ", e.problems()));
            }
            return new ClusterTarget(c.coordination(), tokenSources(env, c.secretsDir()));
        }
        if (etcd != null && !etcd.isEmpty()) {
            if (cluster == null) {
                throw CommandFailure.usage("--etcd needs --cluster NAME (the agents' 'cluster' setting)");
            }
            return new ClusterTarget(CoordinatorSettings.etcd(cluster, etcd), tokenSources(env, Optional.empty()));
        }
        if (env.containsKey("AUTOPILOT_CLUSTER") && dir == null) {
            List<URI> endpoints = new ArrayList<>();
            for (String e : env.getOrDefault("AUTOPILOT_COORDINATION_ENDPOINTS", "http://127.0.0.1:2379").split(",")) {
                endpoints.add(URI.create(e.strip()));
            }
            var backend = env.getOrDefault("AUTOPILOT_COORDINATION_BACKEND", "etcd").equalsIgnoreCase("consul")
                    ? CoordinatorSettings.Backend.CONSUL : CoordinatorSettings.Backend.ETCD;
            var settings = new CoordinatorSettings(backend, endpoints, env.get("AUTOPILOT_CLUSTER"),
                    env.get("AUTOPILOT_COORDINATION_KEY_PREFIX"), null, null, null, null, null, null);
            return new ClusterTarget(settings, tokenSources(env, Optional.ofNullable(env.get("AUTOPILOT_SECRETS_DIR")).map(Path::of)));
        }
        LocalLayout layout = LocalLayout.of(dir);
        Optional<LocalState> local = layout.readState();
        if (local.isPresent()) {
            var settings = CoordinatorSettings.etcd(local.get().cluster(), List.of(URI.create(local.get().etcdEndpoint())));
            return new ClusterTarget(settings, tokenSources(env, Optional.of(layout.secrets())));
        }
        throw CommandFailure.usage("no cluster given: use --config agent.yaml, or --etcd URL --cluster NAME, or start one with "
                + "'autopilot local up' (no local cluster in " + layout.root() + ")");
    }

    private List<TokenSource> tokenSources(Map<String, String> env, Optional<Path> secretsDir) {
        List<TokenSource> sources = new ArrayList<>();
        if (tokenFile != null) {
            sources.add(new TokenSource.File(tokenFile, "--token-file"));
        }
        String value = env.get("AUTOPILOT_CLUSTER_TOKEN");
        if (value != null && !value.isBlank()) {
            sources.add(new TokenSource.Value(value.strip(), "AUTOPILOT_CLUSTER_TOKEN"));
        }
        String file = env.get("AUTOPILOT_CLUSTER_TOKEN_FILE");
        if (file != null && !file.isBlank()) {
            sources.add(new TokenSource.File(Path.of(file), "AUTOPILOT_CLUSTER_TOKEN_FILE"));
        }
        secretsDir.ifPresent(d -> sources.add(new TokenSource.File(d.resolve("cluster-token"), "secrets.dir")));
        return sources;
    }
}
