package dev.autopilot.cli.command;

import dev.autopilot.cli.CommandFailure;
import dev.autopilot.cli.ExitCodes;
import dev.autopilot.cli.cluster.ClusterConnection;
import dev.autopilot.cli.cluster.ClusterReading;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code autopilot failover --to MEMBER [--force]}: the operator's promotion, for when the rules would not
 * promote anyone (e.g. the best candidate is tagged nofailover). {@code --force} is needed while a primary lives.
 */
@Command(name = "failover", mixinStandardHelpOptions = true,
        description = "Make MEMBER primary by operator decision (--force while a primary is alive).")
public final class FailoverCommand extends ClusterCommand {
    @Option(names = "--to", required = true, paramLabel = "MEMBER", description = "The member to promote.")
    String to;

    @Option(names = "--force", description = "Fail over even though a primary is alive.")
    boolean force;

    @Option(names = "--timeout", defaultValue = "30s", paramLabel = "DURATION", description = "How long to wait for MEMBER to lead.")
    Duration timeout;

    @Override
    public Integer call() {
        var target = target();
        String token = target.token();
        try (ClusterConnection store = target.connect()) {
            ClusterReading before = store.read();
            var member = before.member(to).orElseThrow(() -> CommandFailure.usage("no running member named '" + to
                    + "' (members: " + before.names() + ")"));
            var agents = new ArrayList<>(before.agents());
            agents.remove(member);
            agents.addFirst(member);
            out().println(target.client(token).postToAny(agents, "/failover", Map.of("to", to, "force", force)));
            out().flush();
            long started = System.nanoTime();
            await(store, timeout, c -> c.primary().filter(p -> p.name().equals(to)).isPresent(),
                    "failover requested but " + to + " is not primary after " + timeout.toSeconds() + " s");
            out().printf("failover done: %s is primary after %d ms%n", to, (System.nanoTime() - started) / 1_000_000);
            return ExitCodes.OK;
        }
    }
}
