package dev.autopilot.supervisor.process;

import java.util.List;
import java.util.Map;

/**
 * What a child process inherits from the agent's environment: everything but the agent's own settings and the
 * credentials it may have been given ({@code AUTOPILOT_*}, {@code AWS_*}, {@code MANTA_*}, {@code ETCDCTL_*}, {@code CONSUL_*}).
 * A database server or backup tool needs none of them, and a child's environment is readable by anyone who can
 * read its {@code /proc/<pid>/environ} (the same user; with {@code mariadbd} as {@code mysql}, that user too).
 * A job that needs a value gets it explicitly in its own {@code env}.
 */
public final class ChildEnvironment {
    private static final List<String> WITHHELD_PREFIXES = List.of("AUTOPILOT_", "AWS_", "MANTA_", "ETCDCTL_", "CONSUL_");

    private ChildEnvironment() {
    }

    /** Removes the withheld variables from {@code env} (a {@link ProcessBuilder#environment()}, typically). */
    public static void scrub(Map<String, String> env) {
        env.keySet().removeIf(ChildEnvironment::withheld);
    }

    /** Whether a child never inherits the variable {@code name}. */
    public static boolean withheld(String name) {
        return WITHHELD_PREFIXES.stream().anyMatch(name::startsWith);
    }
}
