package dev.autopilot.cli.command;

import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.cli.CommandFailure;
import dev.autopilot.cli.ExitCodes;
import dev.autopilot.cli.cluster.ClusterConnection;
import dev.autopilot.cli.cluster.ClusterReading;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** {@code autopilot switchover [--to MEMBER]}: a planned hand-over by the primary, waited for until done. */
public final class SwitchoverCommand extends ClusterCommand {
    public SwitchoverCommand() {
        super("switchover", "Planned switchover: the primary hands over to MEMBER (or the best replica) without losing writes.");
        spec.addOption(option("--to", String.class, "MEMBER", "The new primary (default: the best replica).").build());
        spec.addOption(option("--timeout", Duration.class, "DURATION", "How long to wait for the new primary.").defaultValue("30s").build());
    }

    @Override
    public Integer call() {
        String to = option("--to");
        Duration timeout = option("--timeout");
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
