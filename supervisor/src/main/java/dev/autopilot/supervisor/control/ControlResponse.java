package dev.autopilot.supervisor.control;

import java.util.List;

/**
 * Answer to one control request. On the wire: a first line {@code ok} or {@code error}, then the lines.
 *
 * @param ok    whether the request succeeded
 * @param lines details (status table, reload summary, or every problem of a rejected config)
 */
public record ControlResponse(boolean ok, List<String> lines) {
    public ControlResponse {
        lines = List.copyOf(lines);
    }
}
