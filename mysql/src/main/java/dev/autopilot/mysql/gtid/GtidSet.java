package dev.autopilot.mysql.gtid;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A MySQL GTID set such as {@code 3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7-9,<uuid>:1}: per source
 * server UUID, a list of closed transaction-number intervals. Intervals are normalised (sorted,
 * adjacent and overlapping ones merged), so equal sets format identically. Immutable.
 */
public final class GtidSet implements ReplicationPosition {

    /** A closed interval of transaction numbers, {@code start <= end}, both at least 1. */
    public record Interval(long start, long end) {
        public Interval {
            if (start < 1 || end < start) {
                throw new GtidFormatException("GTID interval " + start + "-" + end + " is invalid: need 1 <= start <= end");
            }
        }

        @Override
        public String toString() {
            return start == end ? Long.toString(start) : start + "-" + end;
        }
    }

    private static final Pattern UUID_FORM = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final GtidSet EMPTY = new GtidSet(newMap());

    private final TreeMap<UUID, List<Interval>> intervals;

    /** Ordered by the UUID's text, as people read it ({@link UUID#compareTo} compares signed halves). */
    private static TreeMap<UUID, List<Interval>> newMap() {
        return new TreeMap<>(java.util.Comparator.comparing(UUID::toString));
    }

    private GtidSet(TreeMap<UUID, List<Interval>> intervals) {
        this.intervals = intervals;
    }

    public static GtidSet empty() {
        return EMPTY;
    }

    /** Parses MySQL's text form; blank is the empty set; whitespace/newlines are ignored; a repeated UUID is merged. */
    public static GtidSet parse(String text) {
        if (text == null) {
            throw new GtidFormatException("GTID set is null; use an empty string for the empty set");
        }
        String compact = text.replaceAll("\\s+", "");
        TreeMap<UUID, List<Interval>> map = newMap();
        if (compact.isEmpty()) {
            return EMPTY;
        }
        for (String member : compact.split(",", -1)) {
            String[] parts = member.split(":", -1);
            if (parts.length < 2 || !UUID_FORM.matcher(parts[0]).matches()) {
                throw new GtidFormatException("'" + member + "' in GTID set '" + text
                        + "' is not uuid:interval[:interval...], e.g. 3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5");
            }
            UUID uuid = UUID.fromString(parts[0]);
            List<Interval> list = map.computeIfAbsent(uuid, u -> new ArrayList<>());
            for (int i = 1; i < parts.length; i++) {
                list.add(parseInterval(parts[i], text));
            }
        }
        map.replaceAll((u, list) -> normalise(list));
        return new GtidSet(map);
    }

    private static Interval parseInterval(String part, String text) {
        String[] ends = part.split("-", -1);
        try {
            if (ends.length == 1) {
                long n = Long.parseLong(ends[0]);
                return new Interval(n, n);
            }
            if (ends.length == 2) {
                return new Interval(Long.parseLong(ends[0]), Long.parseLong(ends[1]));
            }
        } catch (NumberFormatException e) {
            // fall through to the error below; tagged GTIDs (uuid:tag:n) land here too
        }
        throw new GtidFormatException("'" + part + "' in GTID set '" + text
                + "' is not an interval n or n-m of positive numbers (tagged GTIDs are not supported)");
    }

    private static List<Interval> normalise(List<Interval> list) {
        List<Interval> sorted = new ArrayList<>(list);
        sorted.sort((a, b) -> Long.compare(a.start(), b.start()));
        List<Interval> out = new ArrayList<>();
        for (Interval iv : sorted) {
            if (!out.isEmpty() && iv.start() <= out.getLast().end() + 1) {
                Interval last = out.removeLast();
                out.add(new Interval(last.start(), Math.max(last.end(), iv.end())));
            } else {
                out.add(iv);
            }
        }
        return List.copyOf(out);
    }

    /** Per source UUID, its normalised intervals. */
    public Map<UUID, List<Interval>> bySource() {
        return Collections.unmodifiableMap(intervals);
    }

    /** Number of transactions in the set. */
    public long count() {
        return intervals.values().stream().flatMap(List::stream).mapToLong(iv -> iv.end() - iv.start() + 1).sum();
    }

    public boolean contains(UUID source, long transaction) {
        return intervals.getOrDefault(source, List.of()).stream()
                .anyMatch(iv -> iv.start() <= transaction && transaction <= iv.end());
    }

    /** Transactions in this set and not in {@code other}. */
    public GtidSet minus(GtidSet other) {
        TreeMap<UUID, List<Interval>> out = newMap();
        intervals.forEach((uuid, mine) -> {
            List<Interval> remaining = new ArrayList<>(mine);
            for (Interval cut : other.intervals.getOrDefault(uuid, List.of())) {
                List<Interval> next = new ArrayList<>();
                for (Interval iv : remaining) {
                    if (cut.end() < iv.start() || cut.start() > iv.end()) {
                        next.add(iv);
                        continue;
                    }
                    if (iv.start() < cut.start()) {
                        next.add(new Interval(iv.start(), cut.start() - 1));
                    }
                    if (iv.end() > cut.end()) {
                        next.add(new Interval(cut.end() + 1, iv.end()));
                    }
                }
                remaining = next;
            }
            if (!remaining.isEmpty()) {
                out.put(uuid, List.copyOf(remaining));
            }
        });
        return new GtidSet(out);
    }

    /** Union of both sets. */
    public GtidSet union(GtidSet other) {
        TreeMap<UUID, List<Interval>> out = newMap();
        intervals.forEach((u, l) -> out.put(u, new ArrayList<>(l)));
        other.intervals.forEach((u, l) -> out.computeIfAbsent(u, k -> new ArrayList<>()).addAll(l));
        out.replaceAll((u, l) -> normalise(l));
        return new GtidSet(out);
    }

    @Override
    public boolean includes(ReplicationPosition other) {
        if (!(other instanceof GtidSet o)) {
            throw new IllegalArgumentException("cannot compare a MySQL GTID set with a MariaDB GTID position (" + other.format() + ")");
        }
        return o.minus(this).isEmpty();
    }

    @Override
    public boolean isEmpty() {
        return intervals.isEmpty();
    }

    @Override
    public String format() {
        return intervals.entrySet().stream()
                .map(e -> e.getKey() + ":" + e.getValue().stream().map(Interval::toString).collect(Collectors.joining(":")))
                .collect(Collectors.joining(","));
    }

    @Override
    public String toString() {
        return format();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GtidSet s && s.intervals.equals(intervals);
    }

    @Override
    public int hashCode() {
        return intervals.hashCode();
    }
}
