package dev.autopilot.agent.ha;

import dev.autopilot.coordination.LeaderLock;

/**
 * The one place where writes open and close (design rule 7). Fencing and opening take the same lock, and writes
 * open only when, at that instant, this member holds the leader lock by its own lease clock and no fence has
 * happened since the caller decided to lead: the caller takes {@link #epoch()} before deciding and hands it to
 * {@link #open}. A lease-loss fence that runs while a promotion is draining therefore wins, whichever comes first.
 *
 * <p>It also says whether writes are open ({@link #isOpen()}), and tells a {@link Listener} the moment that changes:
 * open once {@code read_only=OFF} took under the lock, closed the moment a fence <em>starts</em> (a step-down, a lost
 * lease) or the server's process is gone. Routing reads this, not the HA cycle's outcome: a client is sent to this member
 * only while it is writable, and away from it before its fence has even finished.
 */
public final class WriteGate {
    /** Told when writes open or close; called under the gate's lock, so it must not block. */
    @FunctionalInterface
    public interface Listener {
        void writesOpen(boolean open);
    }

    private final DatabaseControl db;
    private final LeaderLock lock;
    private long fences;
    private volatile boolean open;
    private volatile Listener listener = open -> { };

    public WriteGate(DatabaseControl db, LeaderLock lock) {
        this.db = db;
        this.lock = lock;
    }

    /** Who is told when writes open or close (routing); replaces the previous listener. */
    public void tell(Listener l) {
        listener = l;
    }

    /** Whether writes are open: opened through {@link #open} and not closed since. */
    public boolean isOpen() {
        return open;
    }

    /** The number of fences so far; pass it to {@link #open} to open only if none happened in between. */
    public synchronized long epoch() {
        return fences;
    }

    /**
     * Fences the server (see {@link DatabaseControl#fence()}); true when it verifiably accepts no more writes. Writes
     * count as closed from the start, whatever the fence's result: a member fencing itself is no primary to route to.
     */
    public synchronized boolean fence() {
        markClosed();
        fences++;
        return db.fence();
    }

    /** Stops the server hard (see {@link DatabaseControl#stop()}); counts as a fence. */
    public synchronized boolean stop() {
        markClosed();
        fences++;
        return db.stop();
    }

    /**
     * Writes count as closed from now and the listener is told (once): at the start of every fence, and without one when
     * the server's process exited (nothing writes any more, nothing is left to fence) or the lock's loss already fenced.
     */
    public synchronized void markClosed() {
        if (open) {
            open = false;
            listener.writesOpen(false);
        }
    }

    /**
     * {@code read_only=OFF}, if the lock is held and nothing fenced since {@code epoch}; returns whether writes opened.
     */
    public synchronized boolean open(long epoch) {
        if (fences != epoch || !lock.isHeld()) {
            return false;
        }
        db.allowWrites(lock.remainingLease());
        if (!open) {
            open = true;
            listener.writesOpen(true);
        }
        return true;
    }
}
