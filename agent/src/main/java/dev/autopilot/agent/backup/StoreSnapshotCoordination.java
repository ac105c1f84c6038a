package dev.autopilot.agent.backup;

import dev.autopilot.backup.pitr.SnapshotCoordination;
import dev.autopilot.backup.snapshot.SnapshotInfo;
import dev.autopilot.coordination.Coordinator;
import dev.autopilot.coordination.LeaderLock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The snapshot feature's cluster-wide pieces in the coordination store: a lease-bound lock {@code locks/snapshot}
 * (released with its lease when the member dies, so it cannot leak as the original's did) and the
 * {@code backups/latest} pointer.
 */
final class StoreSnapshotCoordination implements SnapshotCoordination {
    private static final Logger LOG = LoggerFactory.getLogger(StoreSnapshotCoordination.class);
    static final String LATEST = "backups/latest";

    private final Coordinator store;
    private final LeaderLock lock;

    StoreSnapshotCoordination(Coordinator store, String member) {
        this.store = store;
        this.lock = store.leaderLock("snapshot", member, Duration.ofSeconds(10), Duration.ofSeconds(2),
                loss -> LOG.warn("{}: snapshot lock lost ({}); the running snapshot is not published if it cannot renew",
                        member, loss.reason()));
    }

    @Override
    public boolean tryLock() {
        return lock.tryAcquire();
    }

    @Override
    public void unlock() {
        lock.release();
    }

    @Override
    public void publishLatest(SnapshotInfo snapshot) {
        store.put(LATEST, snapshot.id().getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public Optional<String> latest() {
        return store.get(LATEST).map(v -> v.text());
    }
}
