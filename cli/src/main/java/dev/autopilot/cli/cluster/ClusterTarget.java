package dev.autopilot.cli.cluster;

import dev.autopilot.cli.CommandFailure;
import dev.autopilot.coordination.CoordinationException;
import dev.autopilot.coordination.Coordinator;
import dev.autopilot.coordination.CoordinatorSettings;
import dev.autopilot.coordination.Coordinators;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A cluster the CLI talks to: where its store is and where the cluster token may be found. The store is
 * only read; requests go to the agents' REST API (as patronictl does).
 */
public record ClusterTarget(CoordinatorSettings settings, List<TokenSource> tokenSources) {

    public ClusterTarget {
        tokenSources = List.copyOf(tokenSources);
    }

    /** Opens the store with short timeouts, so an unreachable store fails the command in seconds. */
    public ClusterConnection connect() {
        Coordinator store;
        try {
            store = Coordinators.open(settings.withTimeouts(Duration.ofSeconds(3), Duration.ofSeconds(4)));
        } catch (CoordinationException e) {
            throw CommandFailure.unreachable("coordination store " + endpoints() + " unreachable (" + e.getMessage()
                    + "); is it running? (local cluster: 'autopilot local up')");
        } catch (IllegalArgumentException e) {
            throw CommandFailure.usage(e.getMessage().replace('\n', ' '));
        }
        return new ClusterConnection(this, store);
    }

    /** The cluster token for mutating requests. */
    public String token() {
        for (TokenSource s : tokenSources) {
            var t = s.read();
            if (t.isPresent()) {
                return t.get();
            }
        }
        throw CommandFailure.usage("this command needs the cluster token: use --token-file FILE, set AUTOPILOT_CLUSTER_TOKEN_FILE, or --config "
                + "with secrets.dir" + (tokenSources.isEmpty() ? "" : " (looked in: "
                + tokenSources.stream().map(TokenSource::describe).collect(Collectors.joining(", ")) + ")"));
    }

    public String endpoints() {
        return settings.endpoints().stream().map(Object::toString).collect(Collectors.joining(","));
    }
}
