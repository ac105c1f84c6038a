package dev.autopilot.cli.command;

import dev.autopilot.agent.history.HistoryEvent;
import dev.autopilot.cli.CommandFailure;
import dev.autopilot.cli.ExitCodes;
import dev.autopilot.cli.cluster.ClusterConnection;
import dev.autopilot.cli.cluster.ClusterReading;
import dev.autopilot.cli.cluster.HistoryReport;
import dev.autopilot.cli.cluster.StatusReport;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * {@code autopilot status}: the cluster line and one row per member. Exits 0 when a primary leads and every
 * member is healthy, 1 (with one line saying what is wrong) otherwise, 3 when the store is unreachable.
 */
public final class StatusCommand extends ClusterCommand {
    private static final int RECENT = 5;
    private static final int RECENT_WINDOW = 200;

    public StatusCommand() {
        super("status", "Show members, roles, positions and lag.");
        spec.addOption(flag("--json", "Machine-readable output."));
        spec.addOption(option("--watch", Duration.class, "INTERVAL", "Refresh until interrupted (default every 1s).")
                .arity("0..1").fallbackValue("1s").build());
    }

    @Override
    public Integer call() {
        boolean json = option("--json");
        Duration watch = option("--watch");
        try (ClusterConnection store = target().connect()) {
            if (watch == null) {
                return show(store.read(), store, json);
            }
            return watch(store, watch, json, out(), err());
        }
    }

    /** The live view until interrupted; also what {@code local up} shows. */
    public static int watch(ClusterConnection store, Duration every, boolean json, PrintWriter out, PrintWriter err) {
        boolean terminal = System.console() != null;
        while (!Thread.currentThread().isInterrupted()) {
            try {
                ClusterReading c = store.read();
                if (terminal) {
                    out.print("\033[H\033[2J");
                }
                out.print(json ? StatusReport.json(c) : StatusReport.table(c) + recent(store));
                out.println();
                out.flush();
            } catch (CommandFailure f) {
                err.println("autopilot status: " + f.getMessage() + " (retrying)");
                err.flush();
            }
            try {
                Thread.sleep(every.toMillis()); // a refresh period, not a wait for a condition
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return ExitCodes.OK;
    }

    /**
     * Copies in progress (with a bar, bytes, rate and ETA) and the last {@value #RECENT} events of the history; empty when
     * the history cannot be read (the table above still answers).
     */
    static String recent(ClusterConnection store) {
        List<HistoryEvent> events;
        try {
            // The newest events only: enough for the last few lines and for any copy in progress (each reports every few seconds).
            events = store.history(0, Optional.empty(), RECENT_WINDOW);
        } catch (CommandFailure f) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        HistoryReport.provisioning(events, System.currentTimeMillis()).forEach(line -> out.append(line).append('\n'));
        if (!events.isEmpty()) {
            out.append("recent events ('autopilot history' for more):\n")
                    .append(HistoryReport.lines(events.subList(Math.max(0, events.size() - RECENT), events.size())));
        }
        return out.toString();
    }

    private int show(ClusterReading c, ClusterConnection store, boolean json) {
        out().print(json ? StatusReport.json(c) : StatusReport.table(c) + recent(store));
        out().flush();
        if (!c.problems().isEmpty()) {
            err().println("autopilot status: not healthy: " + String.join("; ", c.problems())
                    + " (see the members' logs; a down member rejoins when its agent starts)");
            return ExitCodes.FAILED;
        }
        return ExitCodes.OK;
    }
}
