package dev.autopilot.agent.lifecycle;

import java.time.Duration;

/**
 * Exponential backoff between retries: {@code first} after the first failure, doubling, never more than {@code max}.
 *
 * @param first the wait after the first failure
 * @param max   the longest wait
 */
public record Backoff(Duration first, Duration max) {

    public Backoff {
        if (first.isNegative() || first.isZero() || max.compareTo(first) < 0) {
            throw new IllegalArgumentException("backoff needs 0 < first <= max, got first " + first + ", max " + max);
        }
    }

    /** The wait after {@code failures} consecutive failures (1 or more). */
    public Duration after(int failures) {
        Duration wait = first;
        for (int i = 1; i < failures && wait.compareTo(max) < 0; i++) {
            wait = wait.multipliedBy(2);
        }
        return wait.compareTo(max) > 0 ? max : wait;
    }
}
