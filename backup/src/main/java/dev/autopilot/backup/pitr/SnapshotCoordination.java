package dev.autopilot.backup.pitr;

import dev.autopilot.backup.snapshot.SnapshotInfo;

import java.util.Optional;

/**
 * What {@link BackupService} needs from the coordination store; the agent implements it there. Error contract
 * as for the coordination module: store unreachable is an exception, a refused write is {@code false}.
 */
public interface SnapshotCoordination {

    /**
     * Takes the cluster-wide snapshot lock, bound to this member's lease so it is released when the member dies
     * (it cannot leak). {@code false} when another member holds it.
     */
    boolean tryLock();

    /** Releases the lock if this member holds it. */
    void unlock();

    /** Moves the {@code latest} pointer; called only once the snapshot is complete and verified in the store. */
    void publishLatest(SnapshotInfo snapshot);

    /** The id the {@code latest} pointer names, if any. */
    Optional<String> latest();
}
