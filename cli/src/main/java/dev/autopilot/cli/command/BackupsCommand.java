package dev.autopilot.cli.command;

import com.fasterxml.jackson.databind.JsonNode;
import dev.autopilot.cli.CommandFailure;
import dev.autopilot.cli.ExitCodes;
import dev.autopilot.cli.cluster.ClusterConnection;
import picocli.CommandLine.Command;

/** {@code autopilot backups list}: the snapshots in the object store, newest first. */
@Command(name = "backups", mixinStandardHelpOptions = true, description = "Snapshots in the object store.",
        subcommands = BackupsCommand.ListCommand.class)
public final class BackupsCommand extends CliCommand {
    @Override
    public Integer call() {
        spec.commandLine().usage(out());
        return ExitCodes.USAGE;
    }

    /** {@code backups list}. */
    @Command(name = "list", mixinStandardHelpOptions = true, description = "List snapshots, newest first.")
    public static final class ListCommand extends ClusterCommand {
        @Override
        public Integer call() {
            var target = target();
            try (ClusterConnection store = target.connect()) {
                var agents = store.read().agents();
                if (agents.isEmpty()) {
                    throw CommandFailure.unreachable("no running agent to ask; start the members first");
                }
                JsonNode list = target.client(null).get(agents.getFirst(), "/backups").path("snapshots");
                if (list.isEmpty()) {
                    out().println("no snapshots yet ('autopilot backup' takes one)");
                }
                for (JsonNode s : list) {
                    out().println(s.toString());
                }
                return ExitCodes.OK;
            }
        }
    }
}
