package dev.autopilot.coordination;

/**
 * Told when a {@link LeaderLock} is lost without {@link LeaderLock#release()}. Self-fencing hangs on this.
 * Called once per acquisition, on the lock's watchdog thread: it must return quickly (hand off long work).
 */
@FunctionalInterface
public interface LeaseLostListener {

    /** The lock is no longer held; act as a non-leader from now on. */
    void onLeaseLost(LeaseLoss loss);
}
