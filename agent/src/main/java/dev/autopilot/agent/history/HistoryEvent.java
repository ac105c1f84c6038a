package dev.autopilot.agent.history;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;
import java.util.TreeMap;

/**
 * One cluster event as kept in the history.
 *
 * @param atMillis when it happened, by the recording member's clock (epoch milliseconds)
 * @param member   the member that recorded it
 * @param kind     an {@link EventKind#wire()} name (text, so that a newer agent's kinds stay readable)
 * @param message  one sentence for an operator
 * @param details  structured figures: step timings in milliseconds ({@code drainMillis}), bytes, names; values are
 *                 text, numbers or booleans
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record HistoryEvent(long atMillis, String member, String kind, String message, Map<String, Object> details) {

    public HistoryEvent {
        details = details == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(details));
        message = message == null ? "" : message;
    }

    /** Whether this event is of {@code k}. */
    public boolean is(EventKind k) {
        return k.wire().equals(kind);
    }

    /** A number in the details, or {@code otherwise}. */
    public long number(String detail, long otherwise) {
        return details.get(detail) instanceof Number n ? n.longValue() : otherwise;
    }
}
