package dev.autopilot.supervisor.health;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How a job's health is checked.
 *
 * @param probe     a command (healthy when it exits 0) or a built-in check by name
 * @param interval  time between the end of one check and the start of the next
 * @param timeout   a check running longer fails (a command's process group is killed)
 * @param failures  consecutive failures that make a healthy (or unknown) job unhealthy
 * @param successes consecutive successes that make an unhealthy (or unknown) job healthy
 */
public record HealthSpec(Probe probe, Duration interval, Duration timeout, int failures, int successes) {

    /** What to run for one check. */
    public sealed interface Probe {}

    /** Run {@code argv}; exit status 0 means healthy. */
    public record Command(List<String> argv) implements Probe {
        public Command {
            argv = List.copyOf(argv);
            if (argv.isEmpty()) {
                throw new IllegalArgumentException("health command needs at least the program");
            }
        }
    }

    /** Call the embedder's {@link HealthCheck} registered under {@code name}. */
    public record Builtin(String name) implements Probe {
        public Builtin {
            Objects.requireNonNull(name, "name");
        }
    }

    public HealthSpec {
        Objects.requireNonNull(probe, "probe");
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(timeout, "timeout");
        if (failures < 1 || successes < 1) {
            throw new IllegalArgumentException("failures and successes must be >= 1");
        }
    }

    /** A built-in check with thresholds of 3 failures / 1 success. */
    public static HealthSpec builtin(String name, Duration interval, Duration timeout) {
        return new HealthSpec(new Builtin(name), interval, timeout, 3, 1);
    }

    /** A command check with thresholds of 3 failures / 1 success. */
    public static HealthSpec command(List<String> argv, Duration interval, Duration timeout) {
        return new HealthSpec(new Command(argv), interval, timeout, 3, 1);
    }
}
