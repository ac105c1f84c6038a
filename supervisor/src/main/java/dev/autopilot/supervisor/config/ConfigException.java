package dev.autopilot.supervisor.config;

import java.util.List;

/** The configuration is invalid; {@link #problems()} lists every problem as {@code path: message}. */
public final class ConfigException extends Exception {
    private final List<String> problems;

    public ConfigException(List<String> problems) {
        super("invalid supervisor configuration:\n  " + String.join("\n  ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
