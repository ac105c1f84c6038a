package dev.autopilot.cli.cluster;

import dev.autopilot.cli.CommandFailure;
import dev.autopilot.coordination.CoordinationException;
import dev.autopilot.coordination.Coordinator;
import dev.autopilot.coordination.CoordinatorSettings;
import dev.autopilot.coordination.Coordinators;
import dev.autopilot.coordination.support.PemTls;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A cluster the CLI talks to: where its store is, where the operator token may be found, and the CA that signs the
 * agents' HTTPS certificates (when their API uses TLS). The store is only read; requests go to the agents' REST API
 * (as patronictl does).
 *
 * @param apiCaFile the agents' {@code api.tls.caFile}: with it every call is HTTPS and the agent's certificate must be
 *                  issued by this CA for the address its member record names, so the token never reaches an address
 *                  a store writer made up; without it calls are plain HTTP
 * @param agentApis API roots of agents known without the store ({@code --api}, the agent's own configuration, a local
 *                  cluster): reads ask them first (see {@link ClusterConnection})
 */
public record ClusterTarget(CoordinatorSettings settings, List<TokenSource> tokenSources, Optional<Path> apiCaFile,
                            List<URI> agentApis) {

    public ClusterTarget {
        tokenSources = List.copyOf(tokenSources);
        agentApis = List.copyOf(agentApis);
    }

    /** A target read through the store only. */
    public ClusterTarget(CoordinatorSettings settings, List<TokenSource> tokenSources, Optional<Path> apiCaFile) {
        this(settings, tokenSources, apiCaFile, List.of());
    }

    /** A client of the agents' REST API presenting {@code token} (null: read-only calls). */
    public AgentClient client(String token) {
        return new AgentClient(token, apiCaFile.map(ca -> PemTls.context(ca, null, null, "api.tls.caFile")));
    }

    /**
     * A view of the cluster that asks the agents in {@link #agentApis()} first and opens the store only when none answers
     * (with short timeouts, so an unreachable store fails the command in seconds).
     */
    public ClusterConnection connect() {
        return new ClusterConnection(this, agentApis, client(null), this::openStore);
    }

    private Coordinator openStore() {
        try {
            return Coordinators.open(settings.withTimeouts(Duration.ofSeconds(3), Duration.ofSeconds(4)));
        } catch (CoordinationException e) {
            throw CommandFailure.unreachable("coordination store " + endpoints() + " unreachable (" + e.getMessage()
                    + "); is it running? (local cluster: 'autopilot local up')"
                    + (agentApis.isEmpty() ? "" : "; no agent answered at " + agentApis + " either"));
        } catch (IllegalArgumentException e) {
            throw CommandFailure.usage(e.getMessage().replace('\n', ' '));
        }
    }

    /** The operator token for mutating requests. */
    public String token() {
        for (TokenSource s : tokenSources) {
            var t = s.read();
            if (t.isPresent()) {
                return t.get();
            }
        }
        throw CommandFailure.usage("this command needs the operator token: use --token-file FILE, set AUTOPILOT_OPERATOR_TOKEN_FILE "
                + "(or AUTOPILOT_CLUSTER_TOKEN_FILE), or --config with secrets.dir" + (tokenSources.isEmpty() ? "" : " (looked in: "
                + tokenSources.stream().map(TokenSource::describe).collect(Collectors.joining(", ")) + ")"));
    }

    public String endpoints() {
        return settings.endpoints().stream().map(Object::toString).collect(Collectors.joining(","));
    }
}
