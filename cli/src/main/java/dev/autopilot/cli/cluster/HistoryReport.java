package dev.autopilot.cli.cluster;

import dev.autopilot.agent.history.EventKind;
import dev.autopilot.agent.history.HistoryEvent;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** The history as {@code autopilot history} and {@code status} print it: one line per event, newest last, UTC times. */
public final class HistoryReport {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final int BAR = 30;

    private HistoryReport() {
    }

    /** {@code 2026-12-03 12:01:02.345  db2  lock-taken  db2 took the leader lock (lock was free)  [lockFreeMillis=812]}. */
    public static String lines(List<HistoryEvent> events) {
        StringBuilder out = new StringBuilder();
        int member = events.stream().mapToInt(e -> e.member().length()).max().orElse(0);
        int kind = events.stream().mapToInt(e -> e.kind().length()).max().orElse(0);
        for (HistoryEvent e : events) {
            out.append(TIME.format(Instant.ofEpochMilli(e.atMillis()))).append("  ")
                    .append(String.format(Locale.ROOT, "%-" + member + "s  %-" + kind + "s  ", e.member(), e.kind()))
                    .append(e.message());
            if (!e.details().isEmpty()) {
                List<String> pairs = new ArrayList<>();
                e.details().forEach((k, v) -> pairs.add(k + "=" + v));
                out.append("  [").append(String.join(", ", pairs)).append(']');
            }
            out.append('\n');
        }
        return out.toString();
    }

    /**
     * Copies in progress: for each member whose last provisioning event is a start or a progress report, one line with a
     * bar (when the expected size is known), bytes, rate and ETA.
     */
    public static List<String> provisioning(List<HistoryEvent> events, long nowMillis) {
        Map<String, HistoryEvent> last = new LinkedHashMap<>();
        for (HistoryEvent e : events) {
            if (e.is(EventKind.PROVISIONING_STARTED) || e.is(EventKind.PROVISIONING_PROGRESS) || e.is(EventKind.PROVISIONING_FINISHED)) {
                last.put(e.member(), e);
            }
        }
        List<String> out = new ArrayList<>();
        last.values().stream().filter(e -> !e.is(EventKind.PROVISIONING_FINISHED)).forEach(e -> out.add(progressLine(e, nowMillis)));
        return out;
    }

    static String progressLine(HistoryEvent e, long nowMillis) {
        long bytes = e.number("bytes", 0);
        long rate = e.number("bytesPerSecond", 0);
        long expected = e.number("expectedBytes", 0);
        String source = Optional.ofNullable(e.details().get("source")).map(Object::toString).orElse("?");
        StringBuilder line = new StringBuilder(e.member()).append(" provisioning from ").append(source).append(": ");
        if (expected > 0) {
            int filled = (int) Math.min(BAR, bytes * BAR / expected);
            line.append('[').append("#".repeat(filled)).append(".".repeat(BAR - filled)).append("] ")
                    .append(bytes * 100 / expected).append("% ");
        }
        line.append(mib(bytes)).append(expected > 0 ? " of " + mib(expected) : "");
        if (rate > 0) {
            line.append(String.format(Locale.ROOT, ", %.1f MB/s", rate / 1e6));
            if (expected > bytes) {
                line.append(", ETA ").append((expected - bytes) / rate).append(" s");
            }
        }
        line.append(" (reported ").append(Math.max(0, nowMillis - e.atMillis()) / 1000).append(" s ago)");
        return line.toString();
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }
}
