package dev.autopilot.cli.command;

import dev.autopilot.cli.CommandFailure;
import dev.autopilot.cli.ExitCodes;
import dev.autopilot.cli.cluster.ClusterConnection;
import dev.autopilot.cli.cluster.ClusterReading;
import java.util.Map;

/** {@code autopilot pause}: maintenance mode, no automatic failover until {@code resume}. */
public final class PauseCommand extends ClusterCommand {
    public PauseCommand() {
        super("pause", "Pause automatic failover (maintenance).");
    }

    @Override
    public Integer call() {
        return setPaused(this, true);
    }

    /** Sends the request to any running agent, then checks the store shows the flag. */
    static int setPaused(ClusterCommand cmd, boolean paused) {
        var target = cmd.target();
        String token = target.token();
        try (ClusterConnection store = target.connect()) {
            ClusterReading c = store.read();
            cmd.out().println(target.client(token).postToAny(c.agents(), paused ? "/pause" : "/resume", Map.of()));
            if (store.read().view().paused() != paused) {
                throw CommandFailure.failed("the agent accepted the request but the store does not show the cluster "
                        + (paused ? "paused" : "resumed") + "; retry");
            }
            return ExitCodes.OK;
        }
    }
}
