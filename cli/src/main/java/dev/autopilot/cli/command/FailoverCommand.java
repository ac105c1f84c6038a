package dev.autopilot.cli.command;

import dev.autopilot.cli.CommandFailure;
import dev.autopilot.cli.ExitCodes;
import dev.autopilot.cli.cluster.ClusterConnection;
import dev.autopilot.cli.cluster.ClusterReading;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Map;

/**
 * {@code autopilot failover --to MEMBER [--force]}: the operator's promotion, for when the rules would not
 * promote anyone (e.g. the best candidate is tagged nofailover). {@code --force} is needed while a primary lives.
 */
public final class FailoverCommand extends ClusterCommand {
    public FailoverCommand() {
        super("failover", "Make MEMBER primary by operator decision (--force while a primary is alive).");
        spec.addOption(option("--to", String.class, "MEMBER", "The member to promote.").required(true).build());
        spec.addOption(flag("--force", "Fail over even though a primary is alive."));
        spec.addOption(option("--timeout", Duration.class, "DURATION", "How long to wait for MEMBER to lead.").defaultValue("30s").build());
    }

    @Override
    public Integer call() {
        String to = option("--to");
        boolean force = option("--force");
        Duration timeout = option("--timeout");
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
