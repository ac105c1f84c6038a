package dev.autopilot.agent.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.regex.Pattern;

/**
 * The campaign's history: harness events (faults, heals, recoveries, violations) as they happen, and at the end the
 * client operations and the agents' decisions from their logs, merged on one wall clock ({@code HH:mm:ss.SSS}, the
 * agents' log format) into one file. Harness events are echoed to stdout as they happen.
 */
final class FaultHistory {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");
    private static final Pattern LOG_LINE = Pattern.compile("^\\d\\d:\\d\\d:\\d\\d\\.\\d\\d\\d (INFO |WARN |ERROR).*");

    private record Line(String time, int order, String text) {}

    private final long wall0 = System.currentTimeMillis();
    private final long nanos0 = System.nanoTime();
    private final ConcurrentLinkedQueue<Line> lines = new ConcurrentLinkedQueue<>();

    /** A harness event now; also printed. */
    void event(String format, Object... args) {
        String text = String.format(format, args);
        String time = TIME.format(LocalTime.now());
        lines.add(new Line(time, 0, "harness   " + text));
        System.out.println(time + " " + text);
    }

    /** The wall-clock time of a monotonic instant of this JVM. */
    String at(long nanos) {
        return TIME.format(Instant.ofEpochMilli(wall0 + (nanos - nanos0) / 1_000_000).atZone(ZoneId.systemDefault()).toLocalTime());
    }

    /** Milliseconds since this history began, for a monotonic instant. */
    long sinceStart(long nanos) {
        return (nanos - nanos0) / 1_000_000;
    }

    void clientOps(List<DirectClients.Op> ops) {
        for (DirectClients.Op op : ops) {
            lines.add(new Line(at(op.startNanos()), 2, String.format("client    %s id=%d %s in %d ms%s", op.member(), op.id(), op.result(),
                    (op.endNanos() - op.startNanos()) / 1_000_000, op.error().isEmpty() ? "" : " (" + op.error() + ")")));
        }
    }

    void probe(String time, String text) {
        lines.add(new Line(time, 0, "probe     " + text));
    }

    /** The agent's log lines of level INFO and above (its decisions, fences, promotions, errors), without stack traces. */
    void agentLog(AgentNode node) {
        Path log = node.home.resolve("agent.log");
        try {
            if (!Files.exists(log)) {
                return;
            }
            for (String l : Files.readAllLines(log)) {
                if (LOG_LINE.matcher(l).matches() && !l.contains(" ToolProcess - ")) { // mariabackup's file list is noise here
                    lines.add(new Line(l.substring(0, 12), 1, String.format("%-9s %s", node.name, l.substring(13))));
                }
            }
        } catch (IOException e) {
            lines.add(new Line(TIME.format(LocalTime.now()), 1, node.name + " log unreadable: " + e));
        }
    }

    /** Writes every line, in time order (harness, then agents, then clients within one millisecond), with a header. */
    void write(Path file, List<String> header) {
        List<Line> sorted = new ArrayList<>(lines);
        sorted.sort(Comparator.comparing(Line::time).thenComparingInt(Line::order));
        List<String> out = new ArrayList<>(header);
        out.add("");
        sorted.forEach(l -> out.add(l.time() + " " + l.text()));
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.write(file, out);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the history to " + file, e);
        }
    }
}
