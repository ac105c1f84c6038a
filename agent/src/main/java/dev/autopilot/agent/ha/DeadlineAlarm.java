package dev.autopilot.agent.ha;

import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Runs an action once a deadline on the monotonic clock has passed. The deadline is read again after every wake-up,
 * so it may move later meanwhile (failsafe confirmations extend it). The real one is a platform thread, as the lease
 * watchdog is: its timing must not depend on a free carrier thread. {@code HaCycleTest} fires it by hand.
 */
public interface DeadlineAlarm {

    /** Arms the alarm: {@code whenPassed} runs once, on the alarm's own thread, when {@code deadlineNanos} has passed. */
    void arm(LongSupplier deadlineNanos, Runnable whenPassed);

    /** An alarm on a dedicated high-priority platform thread per arming, on {@code clock}'s monotonic time. */
    static DeadlineAlarm ownThread(String name, HaClock clock) {
        return (deadline, whenPassed) -> Thread.ofPlatform().daemon().name(name).priority(Thread.MAX_PRIORITY).start(() -> {
            while (true) {
                long left = deadline.getAsLong() - clock.nanoTime();
                if (left <= 0) {
                    whenPassed.run();
                    return;
                }
                LockSupport.parkNanos(left);
            }
        });
    }
}
