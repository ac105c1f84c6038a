package dev.autopilot.agent.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The Prometheus naming rules our meters follow (https://prometheus.io/docs/practices/naming/), as a list of
 * problems: the {@code autopilot_} prefix in snake case; counters end in {@code _total} and nothing else does; time in
 * {@code _seconds} and sizes in {@code _bytes} (base units, as the last word before {@code _total}); no other unit
 * spelled in a name; every family typed and described; histograms well-formed; labels in snake case, none that carries
 * an unbounded value, and few values per label.
 */
final class MetricConventions {
    private static final Pattern NAME = Pattern.compile("autopilot_[a-z][a-z0-9]*(_[a-z0-9]+)*");
    private static final Pattern LABEL_NAME = Pattern.compile("[a-z][a-z0-9_]*");
    /** Units that are not base units, as words of a name. */
    private static final Set<String> NON_BASE_UNITS = Set.of("ms", "millis", "milliseconds", "us", "microseconds", "ns",
            "nanoseconds", "minutes", "hours", "days", "kb", "kib", "mb", "mib", "gb", "gib", "kilobytes", "megabytes",
            "percent", "celsius");
    /** Words that say a name holds a time: it must be in seconds. */
    private static final Set<String> TIME_WORDS = Set.of("duration", "latency", "age", "remaining", "timestamp", "elapsed");
    /** Label names whose values would be unbounded (one series per request, error, GTID...). */
    private static final Set<String> UNBOUNDED_LABELS = Set.of("id", "gtid", "position", "error", "message", "reason",
            "address", "host", "uuid", "query", "key", "path");
    private static final int MAX_VALUES_PER_LABEL = 40;
    private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary");

    private MetricConventions() {
    }

    static List<String> problems(Exposition exposition) {
        List<String> problems = new ArrayList<>();
        exposition.families().values().forEach(f -> family(f, problems));
        Map<String, Set<String>> labelValues = new HashMap<>();
        for (Exposition.Sample s : exposition.samples()) {
            Exposition.Family f = familyOf(exposition, s.name());
            if (f == null) {
                problems.add(s.name() + ": sample without a # TYPE line for its family");
                continue;
            }
            s.labels().forEach((k, v) -> {
                if (!LABEL_NAME.matcher(k).matches()) {
                    problems.add(s.name() + ": label name '" + k + "' is not snake case");
                }
                if (UNBOUNDED_LABELS.contains(k)) {
                    problems.add(s.name() + ": label '" + k + "' carries unbounded values; put them in logs, not labels");
                }
                if (!k.equals("le") && !k.equals("quantile")) {
                    labelValues.computeIfAbsent(f.name() + "/" + k, x -> new TreeSet<>()).add(v);
                }
            });
        }
        labelValues.forEach((key, values) -> {
            if (values.size() > MAX_VALUES_PER_LABEL) {
                problems.add(key + ": " + values.size() + " values (more than " + MAX_VALUES_PER_LABEL + ", not low-cardinality)");
            }
        });
        histograms(exposition, problems);
        return problems;
    }

    private static void family(Exposition.Family f, List<String> problems) {
        String name = f.name();
        if (!TYPES.contains(f.type())) {
            problems.add(name + ": unknown type " + f.type());
        }
        if (f.help().isBlank()) {
            problems.add(name + ": no # HELP text");
        }
        if (!NAME.matcher(name).matches()) {
            problems.add(name + ": not autopilot_ followed by snake-case words");
        }
        List<String> words = List.of(name.split("_"));
        boolean counter = f.type().equals("counter");
        if (counter != name.endsWith("_total")) {
            problems.add(name + (counter ? ": a counter must end in _total" : ": only counters end in _total (this is a " + f.type() + ")"));
        }
        for (String suffix : List.of("_count", "_sum", "_bucket")) {
            if (name.endsWith(suffix)) {
                problems.add(name + ": ends in " + suffix + ", which is reserved for histogram and summary samples");
            }
        }
        for (String w : words) {
            if (NON_BASE_UNITS.contains(w)) {
                problems.add(name + ": unit '" + w + "' is not a base unit (use seconds or bytes)");
            }
        }
        List<String> unitPart = counter ? words.subList(0, words.size() - 1) : words;
        String unit = unitPart.getLast();
        if (words.contains("seconds") && !unit.equals("seconds") && !isMaxOfSeconds(name, f.type())) {
            problems.add(name + ": 'seconds' must be the unit, the last word" + (counter ? " before _total" : ""));
        }
        if (words.contains("bytes") && !unit.equals("bytes")) {
            problems.add(name + ": 'bytes' must be the unit, the last word" + (counter ? " before _total" : ""));
        }
        boolean time = words.stream().anyMatch(TIME_WORDS::contains);
        if (time && !unit.equals("seconds")) {
            problems.add(name + ": names a time, so it must end in _seconds");
        }
        if ((f.type().equals("histogram") || f.type().equals("summary")) && !unit.equals("seconds") && !unit.equals("bytes")) {
            problems.add(name + ": a " + f.type() + " must name its unit (_seconds or _bytes)");
        }
    }

    /** Micrometer publishes a timer's maximum as the gauge {@code <name>_seconds_max}. */
    private static boolean isMaxOfSeconds(String name, String type) {
        return type.equals("gauge") && name.endsWith("_seconds_max");
    }

    private static Exposition.Family familyOf(Exposition e, String sample) {
        if (e.families().containsKey(sample)) {
            return e.families().get(sample);
        }
        for (String suffix : List.of("_bucket", "_count", "_sum")) {
            if (sample.endsWith(suffix)) {
                Exposition.Family f = e.families().get(sample.substring(0, sample.length() - suffix.length()));
                if (f != null && (f.type().equals("histogram") || f.type().equals("summary"))) {
                    return f;
                }
            }
        }
        return null;
    }

    private static void histograms(Exposition e, List<String> problems) {
        for (Exposition.Family f : e.families().values()) {
            if (!f.type().equals("histogram")) {
                continue;
            }
            Map<Map<String, String>, List<Exposition.Sample>> series = new HashMap<>();
            for (Exposition.Sample s : e.samples()) {
                if (s.name().equals(f.name() + "_bucket")) {
                    Map<String, String> key = new HashMap<>(s.labels());
                    key.remove("le");
                    series.computeIfAbsent(key, k -> new ArrayList<>()).add(s);
                }
            }
            if (series.isEmpty()) {
                problems.add(f.name() + ": histogram without _bucket samples");
            }
            series.forEach((labels, buckets) -> {
                double previous = 0;
                double previousLe = Double.NEGATIVE_INFINITY;
                for (Exposition.Sample b : buckets) {
                    double le = b.label("le").equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(b.label("le"));
                    if (le <= previousLe || b.value() < previous) {
                        problems.add(f.name() + labels + ": buckets not in increasing, cumulative order at le=" + b.label("le"));
                    }
                    previous = b.value();
                    previousLe = le;
                }
                if (previousLe != Double.POSITIVE_INFINITY) {
                    problems.add(f.name() + labels + ": no le=\"+Inf\" bucket");
                }
                boolean counted = e.samples().stream().anyMatch(s -> s.name().equals(f.name() + "_count") && withoutLe(s).equals(labels)
                        && s.value() == buckets.getLast().value());
                if (!counted) {
                    problems.add(f.name() + labels + ": _count missing or not equal to the +Inf bucket");
                }
            });
        }
    }

    private static Map<String, String> withoutLe(Exposition.Sample s) {
        Map<String, String> m = new HashMap<>(s.labels());
        m.remove("le");
        return m;
    }
}
