package dev.autopilot.supervisor.event;

import java.util.Objects;

/**
 * Something that happened inside the supervisor: a process exit, a health change, a timer, a signal,
 * a watch change. Events carry no payload on purpose: subscribers react to (kind, source) and ask the
 * owner of the source for details.
 *
 * @param kind   what happened
 * @param source who it happened to: a job name, a signal name ({@code SIGHUP}) or {@code supervisor}
 */
public record Event(EventKind kind, String source) {
    /** The source name used for events about the supervisor itself. */
    public static final String SUPERVISOR = "supervisor";

    public Event {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(source, "source");
    }

    @Override
    public String toString() {
        return kind.configName() + "(" + source + ")";
    }
}
