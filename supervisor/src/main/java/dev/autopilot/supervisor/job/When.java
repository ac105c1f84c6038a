package dev.autopilot.supervisor.job;

import dev.autopilot.supervisor.event.EventKind;
import java.time.Duration;
import java.util.Objects;

/** When a job's process is started. Configured as the job's {@code when} block. */
public sealed interface When {

    /** Start as soon as the supervisor starts (no {@code when} block). */
    record AtStartup() implements When {}

    /**
     * Start when {@code kind} is published by {@code source}: only the first time ({@code once}) or every
     * time, unless the job is still running ({@code each}).
     */
    record OnEvent(String source, EventKind kind, boolean once) implements When {
        public OnEvent {
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(kind, "kind");
        }
    }

    /** Start every {@code interval}, skipping a tick while the previous run is still going. */
    record Every(Duration interval) implements When {
        public Every {
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("interval must be positive: " + interval);
            }
        }
    }

    static When atStartup() {
        return new AtStartup();
    }

    static When once(String source, EventKind kind) {
        return new OnEvent(source, kind, true);
    }

    static When each(String source, EventKind kind) {
        return new OnEvent(source, kind, false);
    }

    static When every(Duration interval) {
        return new Every(interval);
    }
}
