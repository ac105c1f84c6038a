package dev.autopilot.agent.history;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autopilot.coordination.BoundedLog;
import dev.autopilot.coordination.Coordinator;
import dev.autopilot.coordination.Versioned;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The cluster's history in the coordination store: a {@link BoundedLog} of the newest {@value #DEFAULT_LIMIT} events
 * under {@code history/}, one key per event in time order, each a JSON {@link HistoryEvent}. Outside what the HA
 * rules read: {@link dev.autopilot.agent.cluster.ClusterStore#read()} leaves them out.
 *
 * <p>Store errors propagate as {@link dev.autopilot.coordination.CoordinationException}; an event that cannot be
 * decoded (malformed) is skipped, one with fields this version does not know is read without them.
 */
public final class HistoryLog {
    /** Where the events live, relative to the cluster scope. */
    public static final String PREFIX = dev.autopilot.agent.cluster.ClusterStore.HISTORY;
    /** How many events a cluster keeps. */
    public static final int DEFAULT_LIMIT = 1000;

    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final BoundedLog log;

    public HistoryLog(Coordinator store) {
        this(store, DEFAULT_LIMIT);
    }

    /** @param limit how many events to keep, at least 1 */
    public HistoryLog(Coordinator store, int limit) {
        this.log = new BoundedLog(store, PREFIX, limit);
    }

    /** Writes one event; {@code sequence} tells apart events of one member within one millisecond. */
    public void append(HistoryEvent event, long sequence) {
        log.append(event.atMillis(), event.member(), sequence, encode(event));
    }

    /** The newest events (at most the limit), oldest first. */
    public List<HistoryEvent> read() {
        List<HistoryEvent> out = new ArrayList<>();
        for (Versioned v : log.newest()) {
            decode(v).ifPresent(out::add);
        }
        return out;
    }

    /** The events at or after {@code sinceMillis} (of {@code member} when given), oldest first. */
    public List<HistoryEvent> read(long sinceMillis, Optional<String> member) {
        return read().stream()
                .filter(e -> e.atMillis() >= sinceMillis)
                .filter(e -> member.map(m -> m.equals(e.member())).orElse(true))
                .toList();
    }

    /** Deletes the oldest events beyond the limit; returns how many went. */
    public int trim() {
        return log.trim();
    }

    static byte[] encode(HistoryEvent event) {
        try {
            return JSON.writeValueAsBytes(event);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Optional<HistoryEvent> decode(Versioned v) {
        try {
            HistoryEvent e = JSON.readValue(v.value(), HistoryEvent.class);
            return e == null || e.kind() == null || e.member() == null ? Optional.empty() : Optional.of(e);
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
