package dev.autopilot.cli.cluster;

import dev.autopilot.agent.config.AgentConfig;
import dev.autopilot.agent.config.AgentConfigLoader;
import dev.autopilot.agent.config.ClusterSecrets;
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
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * How a command finds the cluster (a mixin shared by every cluster command), tried in this order:
 * {@code --config agent.yaml} (the agent's own file and loader); {@code --etcd URL --cluster NAME};
 * the agent's environment ({@code AUTOPILOT_CLUSTER}, {@code AUTOPILOT_COORDINATION_*}, as inside a
 * container, read by the agent's own rules); the local cluster under {@code --dir} (default {@code ./.local}) when one is up.
 * Each also names the agents a read may ask instead of the store: {@code --api}, then the configured member's own API,
 * or every member of a local cluster. Each component is its option's value, null when not given.
 */
public record ClusterOptions(Path config, List<URI> etcd, String cluster, Path dir, Path tokenFile, List<URI> api, Path apiCa) {

    /** The options as a picocli mixin, built in code rather than from annotations (start-up time: see CliCommand). */
    public static CommandSpec mixin() {
        CommandSpec mixin = CommandSpec.create();
        mixin.addOption(option("--config", Path.class, "FILE", "An agent's configuration file (agent.yaml).").build());
        mixin.addOption(option("--etcd", List.class, "URL", "etcd endpoints, e.g. http://10.0.0.1:2379.")
                .auxiliaryTypes(URI.class).splitRegex(",").build());
        mixin.addOption(option("--cluster", String.class, "NAME", "Cluster name (with --etcd).").build());
        mixin.addOption(option("--dir", Path.class, "DIR", "Local cluster directory (default ./.local).").build());
        mixin.addOption(option("--token-file", Path.class, "FILE",
                "File holding the operator token (default: AUTOPILOT_OPERATOR_TOKEN[_FILE], AUTOPILOT_CLUSTER_TOKEN[_FILE], "
                        + "secrets.dir, or the local cluster's).").build());
        mixin.addOption(option("--api", List.class, "URL",
                "Agents' REST API roots to read the cluster from before the store, e.g. http://10.0.0.1:8008 (default: the "
                        + "member of --config or of AUTOPILOT_MEMBER_ADDRESS, every member of a local cluster).")
                .auxiliaryTypes(URI.class).splitRegex(",").build());
        mixin.addOption(option("--api-ca", Path.class, "FILE",
                "CA certificate (PEM) of the agents' HTTPS API: call them over HTTPS and verify them (default: api.tls.caFile "
                        + "of --config, or AUTOPILOT_API_TLS_CA_FILE).").build());
        return mixin;
    }

    private static OptionSpec.Builder option(String name, Class<?> type, String paramLabel, String description) {
        return OptionSpec.builder(name).type(type).paramLabel(paramLabel).description(description);
    }

    /** What was parsed into {@code command}, a command with the {@link #mixin()}. */
    public static ClusterOptions of(CommandSpec command) {
        return new ClusterOptions(command.findOption("--config").getValue(), command.findOption("--etcd").getValue(),
                command.findOption("--cluster").getValue(), command.findOption("--dir").getValue(),
                command.findOption("--token-file").getValue(), command.findOption("--api").getValue(),
                command.findOption("--api-ca").getValue());
    }

    /** Resolves where the cluster is; fails with usage when nothing names one. */
    public ClusterTarget resolve(Map<String, String> env) {
        if (config != null) {
            AgentConfig c;
            CoordinatorSettings store;
            try {
                c = new AgentConfigLoader(env).load(Optional.of(config));
                store = ClusterSecrets.coordinationWithSecrets(env, c.secretsDir(), c.coordination());
            } catch (InvalidConfigException e) {
                throw CommandFailure.usage(config + " is invalid: " + String.join("; ", e.problems()));
            }
            String host = List.of("", "0.0.0.0", "::", "[::]").contains(c.api().address()) ? c.member().address() : c.api().address();
            return new ClusterTarget(store, tokenSources(env, c.secretsDir()),
                    apiCa(env).or(() -> c.api().tls().map(AgentConfig.Tls::caFile)), agents(apiRoot(c.api().scheme(), host, c.api().port())));
        }
        if (etcd != null && !etcd.isEmpty()) {
            if (cluster == null) {
                throw CommandFailure.usage("--etcd needs --cluster NAME (the agents' 'cluster' setting)");
            }
            return new ClusterTarget(CoordinatorSettings.etcd(cluster, etcd), tokenSources(env, Optional.empty()), apiCa(env), agents());
        }
        if (env.containsKey("AUTOPILOT_CLUSTER") && dir == null) {
            Optional<Path> secretsDir = Optional.ofNullable(env.get("AUTOPILOT_SECRETS_DIR")).map(Path::of);
            CoordinatorSettings store;
            try {
                store = ClusterSecrets.coordinationWithSecrets(env, secretsDir,
                        new AgentConfigLoader(env).coordinationFromEnvironment());
            } catch (InvalidConfigException e) {
                throw CommandFailure.usage("the AUTOPILOT_* environment is invalid: " + String.join("; ", e.problems()));
            }
            String address = env.getOrDefault(AgentConfigLoader.environmentName("member.address"), "");
            String port = env.getOrDefault(AgentConfigLoader.environmentName("api.port"), "8008");
            Optional<Path> ca = apiCa(env);
            return new ClusterTarget(store, tokenSources(env, secretsDir), ca, address.isBlank() || !port.matches("\\d{1,5}")
                    ? agents() : agents(apiRoot(ca.isPresent() ? "https" : "http", address, Integer.parseInt(port))));
        }
        LocalLayout layout = LocalLayout.of(dir);
        Optional<LocalState> local = layout.readState();
        if (local.isPresent()) {
            var settings = CoordinatorSettings.etcd(local.get().cluster(), List.of(URI.create(local.get().etcdEndpoint())));
            var state = local.get();
            return new ClusterTarget(settings, tokenSources(env, Optional.of(layout.secrets())), apiCa(env), agents(
                    java.util.stream.IntStream.rangeClosed(1, state.members()).mapToObj(n -> apiRoot("http", state.memberAddress(n), 8008))
                            .toArray(URI[]::new)));
        }
        throw CommandFailure.usage("no cluster given: use --config agent.yaml, or --etcd URL --cluster NAME, or start one with "
                + "'autopilot local up' (no local cluster in " + layout.root() + ")");
    }

    /** {@code --api} first, then {@code known}. */
    private List<URI> agents(URI... known) {
        List<URI> all = new ArrayList<>(api == null ? List.of() : api);
        all.addAll(List.of(known));
        return all;
    }

    private static URI apiRoot(String scheme, String host, int port) {
        return URI.create(scheme + "://" + (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port + "/");
    }

    private Optional<Path> apiCa(Map<String, String> env) {
        return Optional.ofNullable(apiCa).or(() -> Optional.ofNullable(env.get(AgentConfigLoader.environmentName("api.tls.caFile")))
                .filter(v -> !v.isBlank()).map(Path::of));
    }

    /** The operator token's sources: its own secret first, then the cluster token it defaults to. */
    private List<TokenSource> tokenSources(Map<String, String> env, Optional<Path> secretsDir) {
        List<TokenSource> sources = new ArrayList<>();
        if (tokenFile != null) {
            sources.add(new TokenSource.File(tokenFile, "--token-file"));
        }
        for (String name : List.of("operator-token", "cluster-token")) {
            String var = ClusterSecrets.environmentName(name);
            String value = env.get(var);
            if (value != null && !value.isEmpty()) {
                sources.add(new TokenSource.Value(value, var));
            }
            String file = env.get(var + "_FILE");
            if (file != null && !file.isBlank()) {
                sources.add(new TokenSource.File(Path.of(file), var + "_FILE"));
            }
        }
        secretsDir.ifPresent(d -> {
            sources.add(new TokenSource.File(d.resolve("operator-token"), "secrets.dir"));
            sources.add(new TokenSource.File(d.resolve("cluster-token"), "secrets.dir"));
        });
        return sources;
    }
}
