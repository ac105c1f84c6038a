package dev.autopilot.cli.command;

import dev.autopilot.cli.CommandFailure;
import dev.autopilot.cli.ExitCodes;
import dev.autopilot.cli.cluster.AgentClient;
import dev.autopilot.cli.cluster.ClusterConnection;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code autopilot restore --member NAME [--snapshot ID]}: rebuilds one member from a snapshot. */
@Command(name = "restore", mixinStandardHelpOptions = true, description = "Rebuild a member from a snapshot.")
public final class RestoreCommand extends ClusterCommand {
    @Option(names = "--member", required = true, paramLabel = "NAME", description = "The member to rebuild.")
    String member;

    @Option(names = "--snapshot", paramLabel = "ID", description = "Snapshot id (default: the newest).")
    String snapshot;

    @Override
    public Integer call() {
        var target = target();
        String token = target.token();
        try (ClusterConnection store = target.connect()) {
            var c = store.read();
            var record = c.member(member).orElseThrow(() -> CommandFailure.usage("no running member named '" + member
                    + "' (members: " + c.names() + ")"));
            out().println(new AgentClient(token).post(record, "/restore", Map.of("snapshot", snapshot == null ? "" : snapshot)));
            return ExitCodes.OK;
        }
    }
}
