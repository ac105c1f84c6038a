package dev.autopilot.backup.snapshot;

import dev.autopilot.backup.pitr.SnapshotCoordination;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/** The test seam for the coordination store: a lock and a pointer in memory (the agent backs them with etcd). */
public final class InMemoryCoordination implements SnapshotCoordination {

    private final AtomicBoolean lock = new AtomicBoolean();
    private final AtomicReference<String> latest = new AtomicReference<>();

    @Override
    public boolean tryLock() {
        return lock.compareAndSet(false, true);
    }

    @Override
    public void unlock() {
        lock.set(false);
    }

    @Override
    public void publishLatest(dev.autopilot.backup.snapshot.SnapshotInfo snapshot) {
        latest.set(snapshot.id());
    }

    @Override
    public Optional<String> latest() {
        return Optional.ofNullable(latest.get());
    }

    public boolean locked() {
        return lock.get();
    }
}
