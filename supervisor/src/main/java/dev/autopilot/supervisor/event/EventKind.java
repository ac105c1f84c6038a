package dev.autopilot.supervisor.event;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What happened. The {@link Event#source()} says to whom: a job name, a signal name such as
 * {@code SIGHUP}, or {@code supervisor}. Configuration names each kind in lowerCamelCase
 * ({@code exitSuccess}); {@link #configName()} and {@link #fromConfigName(String)} convert.
 */
public enum EventKind {
    /** The supervisor has wired every subscriber and starts its jobs (source {@code supervisor}). */
    STARTUP,
    /** The stop sequence begins (source {@code supervisor}). */
    SHUTDOWN,
    /** A job's process was started (source: job). */
    STARTED,
    /** A job's process exited with status 0 (source: job). */
    EXIT_SUCCESS,
    /** A job's process exited non-zero, was killed by a signal or timed out (source: job). */
    EXIT_FAILED,
    /** A job is being stopped by the supervisor (source: job). */
    STOPPING,
    /** A job was stopped by the supervisor and its process group is gone (source: job). */
    STOPPED,
    /** A job's health check crossed its success threshold (source: job). */
    HEALTHY,
    /** A job's health check crossed its failure threshold (source: job). */
    UNHEALTHY,
    /** A job's {@code when.interval} timer fired (source: job). */
    TIMER,
    /** The supervisor received a signal (source: signal name, e.g. {@code SIGHUP}). */
    SIGNAL,
    /** A watched value changed (source: watch name); published by embedders such as the agent. */
    STATUS_CHANGED,
    /** Maintenance mode was switched on (source {@code supervisor}). */
    ENTER_MAINTENANCE,
    /** Maintenance mode was switched off (source {@code supervisor}). */
    EXIT_MAINTENANCE;

    /** The name used in configuration files, e.g. {@code exitSuccess}. */
    public String configName() {
        String[] parts = name().toLowerCase(Locale.ROOT).split("_");
        StringBuilder b = new StringBuilder(parts[0]);
        for (int i = 1; i < parts.length; i++) {
            b.append(Character.toUpperCase(parts[i].charAt(0))).append(parts[i].substring(1));
        }
        return b.toString();
    }

    /** Looks up a kind by its configuration name (case-insensitive, {@code exitSuccess} or {@code EXIT_SUCCESS}). */
    public static Optional<EventKind> fromConfigName(String name) {
        String n = name.replace("_", "").replace("-", "");
        return Arrays.stream(values()).filter(k -> k.configName().equalsIgnoreCase(n)).findFirst();
    }

    /** All configuration names, for error messages. */
    public static String configNames() {
        return Arrays.stream(values()).map(EventKind::configName).collect(Collectors.joining(", "));
    }
}
