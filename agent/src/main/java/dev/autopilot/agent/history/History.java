package dev.autopilot.agent.history;

import java.util.Map;

/**
 * Where the parts of an agent report the cluster events they cause or observe. Never blocks and never throws: an
 * event is queued and written later ({@link HistoryWriter}), so recording one cannot delay a failover decision.
 */
@FunctionalInterface
public interface History {

    /** Records nothing (tests, tools that run without a store). */
    History NONE = (kind, message, details) -> { };

    /**
     * Records an event of this member now.
     *
     * @param details figures of the event (text, numbers, booleans); no secrets
     */
    void record(EventKind kind, String message, Map<String, ?> details);

    /** An event without details. */
    default void record(EventKind kind, String message) {
        record(kind, message, Map.of());
    }
}
