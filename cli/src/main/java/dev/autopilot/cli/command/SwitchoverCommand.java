package dev.autopilot.cli.command;

import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.cli.CommandFailure;
import dev.autopilot.cli.ExitCodes;
import dev.autopilot.cli.cluster.ClusterConnection;
import dev.autopilot.cli.cluster.ClusterReading;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code autopilot switchover [--to MEMBER]}: a planned hand-over by the primary, waited for until done. */
@Command(name = "switchover", mixinStandardHelpOptions = true,
        description = "Planned switchover: the primary hands over to MEMBER (or the best replica) without losing writes.")
public final class SwitchoverCommand extends ClusterCommand {
    @Option(names = "--to", paramLabel = "MEMBER", description = "The new primary (default: the best replica).")
    String to;

    @Option(names = "--timeout", defaultValue = "30s", paramLabel = "DURATION", description = "How long to wait for the new primary.")
    Duration timeout;

    @Override
    public Integer call() {
        var target = target();
        String token = target.token();
        try (ClusterConnection store = target.connect()) {
            ClusterReading before = store.read();
            MemberRecord primary = before.primary().orElseThrow(() -> CommandFailure.failed(
                    "the cluster has no primary to switch over from; use 'autopilot failover --to MEMBER' instead"));
            Map<String, Object> body = new HashMap<>();
            if (to != null) {
                body.put("to", to);
            }
            long started = System.nanoTime();
            out().println(target.client(token).post(primary, "/switchover", body));
            out().flush();
            ClusterReading after = await(store, timeout, c -> c.primary().filter(p -> !p.name().equals(primary.name())
                            && (to == null || p.name().equals(to))).isPresent(),
                    "switchover requested but no new primary after " + timeout.toSeconds() + " s");
            out().printf("switchover done: %s is primary (was %s) after %d ms%n", after.primary().orElseThrow().name(), primary.name(),
                    (System.nanoTime() - started) / 1_000_000);
            return ExitCodes.OK;
        }
    }
}
