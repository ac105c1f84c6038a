package dev.autopilot.agent.history;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autopilot.coordination.Coordinator;
import dev.autopilot.coordination.Versioned;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The cluster's history in the coordination store: one key per event,
 * {@code history/<epoch millis, 13 digits>-<member>-<sequence>}, so the store's key order (both backends list keys
 * sorted) is time order, no two members ever write the same key, and appending needs one unconditional put — no
 * compare-and-set a busy cluster would contend on, and nothing to repair when a writer dies half-way. The newest
 * {@code limit} events are kept: {@link #trim()} deletes the oldest beyond it (writers trim every few appends, so the
 * store holds at most {@code limit} plus those few per member), and {@link #read} never returns more than
 * {@code limit}. Works on any {@link Coordinator} (etcd, Consul) through its plain key-value calls.
 *
 * <p>Store errors propagate as {@link dev.autopilot.coordination.CoordinationException}; an unreadable event (a
 * malformed value) is skipped.
 */
public final class HistoryLog {
    /** Where the events live, relative to the cluster scope. */
    public static final String PREFIX = "history/";
    /** How many events a cluster keeps. */
    public static final int DEFAULT_LIMIT = 1000;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Coordinator store;
    private final int limit;

    public HistoryLog(Coordinator store) {
        this(store, DEFAULT_LIMIT);
    }

    /** @param limit how many events to keep, at least 1 */
    public HistoryLog(Coordinator store, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("history limit must be at least 1, got " + limit);
        }
        this.store = store;
        this.limit = limit;
    }

    /** Writes one event; {@code sequence} tells apart events of one member within one millisecond. */
    public void append(HistoryEvent event, long sequence) {
        store.put(key(event, sequence), encode(event));
    }

    /** The store key of an event: sorts by time, then member, then sequence. */
    static String key(HistoryEvent event, long sequence) {
        return String.format(Locale.ROOT, "%s%013d-%s-%06d", PREFIX, Math.max(0, event.atMillis()), event.member(),
                Math.floorMod(sequence, 1_000_000L));
    }

    /** The newest events (at most the limit), oldest first. */
    public List<HistoryEvent> read() {
        List<Versioned> stored = store.list(PREFIX);
        List<HistoryEvent> out = new ArrayList<>();
        for (Versioned v : stored.subList(Math.max(0, stored.size() - limit), stored.size())) {
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
        List<Versioned> stored = store.list(PREFIX);
        int excess = stored.size() - limit;
        int deleted = 0;
        for (int i = 0; i < excess; i++) {
            // Another member trimming at the same time may have deleted it first: false, not an error.
            if (store.delete(stored.get(i).key())) {
                deleted++;
            }
        }
        return deleted;
    }

    static byte[] encode(HistoryEvent event) {
        try {
            return JSON.writeValueAsBytes(event);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Optional<HistoryEvent> decode(Versioned v) {
        try {
            HistoryEvent e = JSON.readValue(v.value(), HistoryEvent.class);
            return e == null || e.kind() == null || e.member() == null ? Optional.empty() : Optional.of(e);
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
