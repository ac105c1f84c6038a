package dev.autopilot.coordination;

import java.time.Duration;

/**
 * Why and when a leader lock was lost.
 *
 * @param lock             lock name
 * @param holderId         the holder that lost it
 * @param reason           what happened
 * @param atNanos          {@link System#nanoTime()} when the loss was declared
 * @param sinceLastRenewal time between the send of the last successful renewal and the declaration
 */
public record LeaseLoss(String lock, String holderId, Reason reason, long atNanos, Duration sinceLastRenewal) {

    /** Cause of a loss. */
    public enum Reason {
        /** No renewal succeeded for TTL − safety margin (store unreachable or too slow): lost by our own clock. */
        DEADLINE_PASSED,
        /** The store reported the lease/session gone (expired or revoked). */
        EXPIRED,
        /**
         * The holder did not {@link LeaderLock#confirmAlive() confirm} it is alive within the bound it was built with
         * (its work loop fails or is stuck), so the lock gave itself up although the store was reachable.
         */
        NOT_CONFIRMED
    }

    /** For log lines: what happened, in words. */
    public String describe() {
        return switch (reason) {
            case DEADLINE_PASSED -> "no renewal succeeded within ttl - safety margin (" + sinceLastRenewal.toMillis()
                    + " ms since the last successful one was sent)";
            case EXPIRED -> "the store reports the lease gone";
            case NOT_CONFIRMED -> "the holder stopped confirming it is alive (its HA cycles fail or are stuck)";
        };
    }
}
