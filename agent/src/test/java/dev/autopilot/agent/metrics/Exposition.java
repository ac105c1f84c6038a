package dev.autopilot.agent.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Prometheus text exposition format (0.0.4) read back: families with their TYPE and HELP, and samples with labels
 * and value. Strict: a line that is neither a comment nor a well-formed sample is an error, so a malformed scrape fails
 * the test that reads it.
 */
public record Exposition(Map<String, Family> families, List<Sample> samples) {
    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)( -?[0-9]+)?");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

    /** One metric family as declared by its comments. */
    public record Family(String name, String type, String help) {
    }

    /** One line of data. */
    public record Sample(String name, Map<String, String> labels, double value) {
        public String label(String key) {
            return labels.getOrDefault(key, "");
        }
    }

    public static Exposition parse(String text) {
        Map<String, String> types = new LinkedHashMap<>();
        Map<String, String> helps = new LinkedHashMap<>();
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            if (line.startsWith("# TYPE ")) {
                String[] p = line.substring(7).split(" ", 2);
                if (types.put(p[0], p[1]) != null) {
                    throw new IllegalArgumentException("TYPE of " + p[0] + " declared twice");
                }
            } else if (line.startsWith("# HELP ")) {
                String[] p = line.substring(7).split(" ", 2);
                helps.put(p[0], p.length > 1 ? p[1] : "");
            } else if (!line.startsWith("#")) {
                Matcher m = SAMPLE.matcher(line);
                if (!m.matches()) {
                    throw new IllegalArgumentException("not a sample line: " + line);
                }
                samples.add(new Sample(m.group(1), labels(m.group(3), line), value(m.group(4), line)));
            }
        }
        Map<String, Family> families = new LinkedHashMap<>();
        types.forEach((name, type) -> families.put(name, new Family(name, type, helps.getOrDefault(name, ""))));
        return new Exposition(families, samples);
    }

    private static Map<String, String> labels(String text, String line) {
        Map<String, String> out = new LinkedHashMap<>();
        if (text == null || text.isEmpty()) {
            return out;
        }
        Matcher m = LABEL.matcher(text);
        int at = 0;
        while (at < text.length()) {
            if (!m.find(at) || m.start() != at) {
                throw new IllegalArgumentException("malformed labels in: " + line);
            }
            out.put(m.group(1), m.group(2));
            at = m.end();
        }
        return out;
    }

    private static double value(String text, String line) {
        return switch (text) {
            case "NaN" -> Double.NaN;
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> {
                try {
                    yield Double.parseDouble(text);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("not a sample value in: " + line);
                }
            }
        };
    }

    /** The single sample named {@code name} whose labels include {@code labels} (key, value, key, value...). */
    public Optional<Sample> sample(String name, String... labels) {
        List<Sample> found = samples.stream().filter(s -> s.name().equals(name)).filter(s -> {
            for (int i = 0; i < labels.length; i += 2) {
                if (!labels[i + 1].equals(s.label(labels[i]))) {
                    return false;
                }
            }
            return true;
        }).toList();
        if (found.size() > 1) {
            throw new IllegalArgumentException(found.size() + " samples match " + name + " " + List.of(labels));
        }
        return found.stream().findFirst();
    }

    /** The value of that sample; fails the caller when it is missing. */
    public double value(String name, String... labels) {
        return sample(name, labels).orElseThrow(() -> new AssertionError("no sample " + name + " " + List.of(labels)
                + " in the exposition")).value();
    }
}
