package dev.autopilot.coordination;

import java.util.List;
import java.util.Locale;

/**
 * An append-only log of the newest {@code limit} entries under a key prefix, on any {@link Coordinator} through its
 * plain key-value calls (both backends list keys sorted). One key per entry,
 * {@code <prefix><epoch millis, 13 digits>-<writer>-<sequence, 6 digits>}: the key order is time order, two writers
 * never write the same key, and an append is one unconditional put — no compare-and-set that concurrent writers
 * would contend on, and nothing half-written to repair when a writer dies. {@link #trim()} deletes the oldest entries
 * beyond the limit; a writer calls it every few appends, so the store holds at most {@code limit} plus those few per
 * writer, and {@link #newest()} never returns more than {@code limit}.
 *
 * <p>Store errors propagate as {@link CoordinationException}, as from the calls it is made of.
 */
public final class BoundedLog {
    private final Coordinator store;
    private final String prefix;
    private final int limit;

    /**
     * @param prefix relative key prefix ending in {@code /}, e.g. {@code history/}
     * @param limit  how many entries to keep, at least 1
     */
    public BoundedLog(Coordinator store, String prefix, int limit) {
        if (!prefix.endsWith("/")) {
            throw new IllegalArgumentException("log prefix must end with '/': " + prefix);
        }
        if (limit < 1) {
            throw new IllegalArgumentException("log limit must be at least 1, got " + limit);
        }
        this.store = store;
        this.prefix = prefix;
        this.limit = limit;
    }

    /**
     * Appends an entry.
     *
     * @param atMillis when it happened (epoch milliseconds); the entry's place in the log
     * @param writer   who writes it: letters, digits, {@code -}, {@code _} or {@code .}
     * @param sequence tells apart one writer's entries within one millisecond (taken modulo 1,000,000)
     */
    public void append(long atMillis, String writer, long sequence, byte[] value) {
        store.put(key(atMillis, writer, sequence), value);
    }

    /** The key of an entry, relative to the cluster scope. */
    public String key(long atMillis, String writer, long sequence) {
        if (!writer.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("log writer '" + writer + "' must be letters, digits, '-', '_' or '.'");
        }
        return String.format(Locale.ROOT, "%s%013d-%s-%06d", prefix, Math.max(0, atMillis), writer, Math.floorMod(sequence, 1_000_000L));
    }

    /** The newest entries, at most the limit, oldest first. */
    public List<Versioned> newest() {
        List<Versioned> stored = store.list(prefix);
        return List.copyOf(stored.subList(Math.max(0, stored.size() - limit), stored.size()));
    }

    /** Deletes the oldest entries beyond the limit; returns how many this call deleted. */
    public int trim() {
        List<Versioned> stored = store.list(prefix);
        int deleted = 0;
        for (int i = 0; i < stored.size() - limit; i++) {
            // Another writer trimming at the same time may have deleted it first: false, not an error.
            if (store.delete(stored.get(i).key())) {
                deleted++;
            }
        }
        return deleted;
    }
}
