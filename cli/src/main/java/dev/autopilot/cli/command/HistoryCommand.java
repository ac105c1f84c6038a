package dev.autopilot.cli.command;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.autopilot.agent.history.HistoryEvent;
import dev.autopilot.cli.ExitCodes;
import dev.autopilot.cli.cluster.ClusterConnection;
import dev.autopilot.cli.cluster.HistoryReport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * {@code autopilot history}: the cluster's events (failovers with their step timings, fencing, switchovers, members
 * joining and leaving, copies, snapshots, store outages), newest last. Read from an agent's {@code GET /history}, else
 * from the coordination store.
 */
public final class HistoryCommand extends ClusterCommand {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public HistoryCommand() {
        super("history", "Show what happened in the cluster, newest last.");
        spec.addOption(option("--since", Duration.class, "DURATION", "Only events of the last DURATION (e.g. 30m, 1h, 2d).").build());
        spec.addOption(option("--member", String.class, "NAME", "Only events recorded by this member.").build());
        spec.addOption(flag("--json", "Machine-readable output: a JSON array of events."));
    }

    @Override
    public Integer call() {
        Duration since = option("--since");
        String member = option("--member");
        boolean json = option("--json");
        long sinceMillis = since == null ? 0 : System.currentTimeMillis() - since.toMillis();
        try (ClusterConnection store = target().connect()) {
            List<HistoryEvent> events = store.history(sinceMillis, Optional.ofNullable(member).filter(m -> !m.isBlank()));
            if (json) {
                out().println(JSON.writeValueAsString(events));
            } else if (events.isEmpty()) {
                out().println("no events" + (since == null ? "" : " in the last " + since) + (member == null ? "" : " of " + member));
            } else {
                out().print(HistoryReport.lines(events));
            }
            out().flush();
            return ExitCodes.OK;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
