package dev.autopilot.cli.command;

import com.fasterxml.jackson.databind.JsonNode;
import dev.autopilot.cli.CommandFailure;
import dev.autopilot.cli.ExitCodes;
import dev.autopilot.cli.cluster.ClusterConnection;
import picocli.CommandLine;

/** {@code autopilot backups list}: the snapshots in the object store, newest first. */
public final class BackupsCommand extends CliCommand {
    public BackupsCommand() {
        super("backups", "Snapshots in the object store.");
        spec.addSubcommand("list", new CommandLine(new ListCommand().model()));
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(out());
        return ExitCodes.USAGE;
    }

    /** {@code backups list}. */
    public static final class ListCommand extends ClusterCommand {
        ListCommand() {
            super("list", "List snapshots, newest first.");
        }

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
