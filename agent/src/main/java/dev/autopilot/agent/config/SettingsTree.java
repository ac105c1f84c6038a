package dev.autopilot.agent.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.autopilot.supervisor.config.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The agent's settings as flat dotted paths ({@code member.name}) with typed reads that collect every
 * problem instead of stopping at the first (HikariCP's {@code validate()} idea). Values come from the YAML
 * file, then from environment variables named after the path ({@code AUTOPILOT_MEMBER_NAME} for
 * {@code member.name}), which win; {@code ${VAR}} and {@code ${VAR:-default}} inside values are expanded.
 */
final class SettingsTree {
    private static final Pattern REF = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?}");

    private final Map<String, String> values = new LinkedHashMap<>();
    private final Map<String, String> env;
    private final List<String> problems = new ArrayList<>();

    SettingsTree(JsonNode yaml, Map<String, String> env, List<String> knownPaths) {
        this.env = env;
        if (yaml != null && !yaml.isNull()) {
            flatten("", yaml);
        }
        for (String path : values.keySet()) {
            if (!knownPaths.contains(path)) {
                problems.add(path + ": unknown setting (known: " + String.join(", ", knownPaths) + ")");
            }
        }
        for (String path : knownPaths) {
            String fromEnv = env.get(envName(path));
            if (fromEnv != null) {
                values.put(path, fromEnv);
            }
        }
    }

    /** {@code member.noFailover} → {@code AUTOPILOT_MEMBER_NO_FAILOVER}. */
    static String envName(String path) {
        return "AUTOPILOT_" + path.replaceAll("([a-z0-9])([A-Z])", "$1_$2").replace('.', '_').toUpperCase();
    }

    private void flatten(String prefix, JsonNode node) {
        if (node.isObject()) {
            node.properties().forEach(e -> flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue()));
        } else if (node.isArray()) {
            List<String> items = new ArrayList<>();
            node.forEach(item -> items.add(item.asText()));
            values.put(prefix, String.join(",", items));
        } else if (!node.isNull()) {
            values.put(prefix, node.asText());
        }
    }

    List<String> problems() {
        return problems;
    }

    Optional<String> optional(String path) {
        String raw = values.get(path);
        if (raw == null) {
            return Optional.empty();
        }
        String expanded = expand(path, raw).strip();
        return expanded.isEmpty() ? Optional.empty() : Optional.of(expanded);
    }

    String string(String path, String fallback) {
        return optional(path).orElse(fallback);
    }

    String required(String path, String hint) {
        return optional(path).orElseGet(() -> {
            problems.add(path + ": missing; " + hint + " (or set " + envName(path) + ")");
            return null;
        });
    }

    int integer(String path, int fallback, int min, int max) {
        return optional(path).map(text -> {
            try {
                int v = Integer.parseInt(text);
                if (v >= min && v <= max) {
                    return v;
                }
                problems.add(path + ": " + v + " is outside " + min + ".." + max);
            } catch (NumberFormatException e) {
                problems.add(path + ": '" + text + "' is not a whole number");
            }
            return fallback;
        }).orElse(fallback);
    }

    boolean bool(String path, boolean fallback) {
        return optional(path).map(text -> switch (text.toLowerCase()) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> {
                problems.add(path + ": '" + text + "' is not a boolean (true or false)");
                yield fallback;
            }
        }).orElse(fallback);
    }

    Duration duration(String path, Duration fallback) {
        return optional(path).map(text -> parseDuration(path, text).orElse(fallback)).orElse(fallback);
    }

    List<String> list(String path, List<String> fallback) {
        return optional(path).map(text -> Arrays.stream(text.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList())
                .orElse(fallback);
    }

    <E extends Enum<E>> E choice(String path, Class<E> type, E fallback) {
        return optional(path).map(text -> {
            for (E e : type.getEnumConstants()) {
                if (e.name().equalsIgnoreCase(text.replace('-', '_'))) {
                    return e;
                }
            }
            problems.add(path + ": '" + text + "' is not one of " + Arrays.stream(type.getEnumConstants())
                    .map(e -> e.name().toLowerCase().replace('_', '-')).toList());
            return fallback;
        }).orElse(fallback);
    }

    void problem(String text) {
        problems.add(text);
    }

    private Optional<Duration> parseDuration(String path, String text) {
        try {
            return Optional.of(Durations.read(text));
        } catch (IllegalArgumentException e) {
            problems.add(path + ": " + e.getMessage());
            return Optional.empty();
        }
    }

    private String expand(String path, String raw) {
        Matcher m = REF.matcher(raw);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = env.get(m.group(1));
            if (value == null || value.isEmpty()) {
                value = m.group(3);
            }
            if (value == null) {
                problems.add(path + ": environment variable " + m.group(1) + " is not set (set it, or write ${"
                        + m.group(1) + ":-default})");
                value = "";
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }
}
