package dev.autopilot.agent.ha;

import dev.autopilot.coordination.LeaderLock;

/**
 * The one place where writes open and close (design rule 7). Fencing and opening take the same lock, and writes
 * open only when, at that instant, this member holds the leader lock by its own lease clock and no fence has
 * happened since the caller decided to lead: the caller takes {@link #epoch()} before deciding and hands it to
 * {@link #open}. A lease-loss fence that runs while a promotion is draining therefore wins, whichever comes first.
 */
public final class WriteGate {
    private final DatabaseControl db;
    private final LeaderLock lock;
    private long fences;

    public WriteGate(DatabaseControl db, LeaderLock lock) {
        this.db = db;
        this.lock = lock;
    }

    /** The number of fences so far; pass it to {@link #open} to open only if none happened in between. */
    public synchronized long epoch() {
        return fences;
    }

    /** Fences the server (see {@link DatabaseControl#fence()}); true when it verifiably accepts no more writes. */
    public synchronized boolean fence() {
        fences++;
        return db.fence();
    }

    /** Stops the server hard (see {@link DatabaseControl#stop()}); counts as a fence. */
    public synchronized boolean stop() {
        fences++;
        return db.stop();
    }

    /**
     * {@code read_only=OFF}, if the lock is held and nothing fenced since {@code epoch}; returns whether writes opened.
     */
    public synchronized boolean open(long epoch) {
        if (fences != epoch || !lock.isHeld()) {
            return false;
        }
        db.allowWrites(lock.remainingLease());
        return true;
    }
}
