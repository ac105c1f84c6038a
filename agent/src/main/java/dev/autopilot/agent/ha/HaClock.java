package dev.autopilot.agent.ha;

import java.util.function.LongSupplier;

/**
 * The two clocks the HA rules read: a monotonic one for every duration measured on this host, and the wall clock
 * only for what is shown to people or written into records (never compared across hosts).
 */
public record HaClock(LongSupplier nanos, LongSupplier millis) {

    public static HaClock system() {
        return new HaClock(System::nanoTime, System::currentTimeMillis);
    }

    public long nanoTime() {
        return nanos.getAsLong();
    }

    public long currentTimeMillis() {
        return millis.getAsLong();
    }
}
