package dev.autopilot.supervisor.job;

import java.time.Duration;
import java.util.Objects;

/**
 * What happens when a job's process exits on its own.
 *
 * @param mode       never, on-failure (non-zero exit or signal) or always
 * @param limit      restarts in a row before giving up; {@link #UNLIMITED} for no limit
 * @param backoff    delay before the first restart; doubles for each restart in a row
 * @param maxBackoff upper bound for the delay
 * @param resetAfter a run at least this long resets the count of restarts in a row
 */
public record RestartPolicy(Mode mode, int limit, Duration backoff, Duration maxBackoff, Duration resetAfter) {
    public static final int UNLIMITED = -1;

    /** Restart modes, spelled {@code never}, {@code on-failure}, {@code always} in configuration. */
    public enum Mode {
        NEVER, ON_FAILURE, ALWAYS;

        public String configName() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    public RestartPolicy {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(backoff, "backoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        Objects.requireNonNull(resetAfter, "resetAfter");
        if (limit < UNLIMITED) {
            throw new IllegalArgumentException("limit must be >= 0 or UNLIMITED: " + limit);
        }
    }

    /** Never restart (the default). */
    public static RestartPolicy never() {
        return new RestartPolicy(Mode.NEVER, 0, Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(60));
    }

    public static RestartPolicy of(Mode mode, int limit, Duration backoff, Duration maxBackoff) {
        return new RestartPolicy(mode, limit, backoff, maxBackoff, Duration.ofSeconds(60));
    }

    /** Whether an exit with {@code status} (0 = success) calls for a restart, ignoring the limit. */
    public boolean wantsRestart(int status) {
        return switch (mode) {
            case NEVER -> false;
            case ON_FAILURE -> status != 0;
            case ALWAYS -> true;
        };
    }

    /** Delay before restart number {@code attempt} (1-based): backoff * 2^(attempt-1), capped at maxBackoff. */
    public Duration delayBefore(int attempt) {
        Duration d = backoff;
        for (int i = 1; i < attempt && d.compareTo(maxBackoff) < 0; i++) {
            d = d.multipliedBy(2);
        }
        return d.compareTo(maxBackoff) > 0 ? maxBackoff : d;
    }

    /** Whether restart number {@code attempt} (1-based) is within the limit. */
    public boolean allows(int attempt) {
        return limit == UNLIMITED || attempt <= limit;
    }
}
