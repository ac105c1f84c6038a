package dev.autopilot.cli.command;

import dev.autopilot.cli.CommandFailure;
import dev.autopilot.cli.ExitCodes;
import dev.autopilot.cli.cluster.ClusterConnection;
import java.util.Map;

/** {@code autopilot backup}: asks the primary's agent for a snapshot now. */
public final class BackupCommand extends ClusterCommand {
    public BackupCommand() {
        super("backup", "Take a snapshot now (on the primary).");
    }

    @Override
    public Integer call() {
        var target = target();
        String token = target.token();
        try (ClusterConnection store = target.connect()) {
            var primary = store.read().primary().orElseThrow(() -> CommandFailure.failed("the cluster has no primary to back up; "
                    + "wait for one ('autopilot status') and retry"));
            out().println(target.client(token).post(primary, "/backup", Map.of()));
            return ExitCodes.OK;
        }
    }
}
