package dev.autopilot.backup.clone;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * At most one warning per interval about strangers at the clone port (hang-ups, refusals): anyone who can reach the
 * port could otherwise fill the log. Those held back are counted and the next warning says how many there were.
 */
final class WarningRateLimit {
    private final long intervalNanos;
    private final LongSupplier nanoClock;
    private long nextAllowed;
    private boolean any;
    private long held;

    WarningRateLimit(Duration interval, LongSupplier nanoClock) {
        this.intervalNanos = interval.toNanos();
        this.nanoClock = nanoClock;
    }

    /**
     * Whether to log a warning now; when yes, how many were held back since the last one (0 or more), else -1.
     */
    synchronized long admit() {
        long now = nanoClock.getAsLong();
        if (any && now - nextAllowed < 0) {
            held++;
            return -1;
        }
        any = true;
        nextAllowed = now + intervalNanos;
        long before = held;
        held = 0;
        return before;
    }

    /** " (and N more like it since the last warning)" or "", for the end of a warning. */
    static String heldBack(long count) {
        return count > 0 ? " (and " + count + " more like it since the last such warning)" : "";
    }
}
