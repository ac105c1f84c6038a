package dev.autopilot.backup.snapshot;

import dev.autopilot.backup.restore.ExistingData;
import dev.autopilot.backup.restore.RestoredCopy;
import dev.autopilot.backup.restore.Restorer;
import dev.autopilot.backup.restore.TargetNotEmptyException;
import dev.autopilot.storage.SnapshotStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Provisioning a joiner from the object store: the newest snapshot, then the one before it; empty when neither
 * gave a copy, so the caller falls back to a live clone. A snapshot that failed (corrupt object, broken stream,
 * prepare failing) is remembered and skipped by later attempts of this instance, and logged once.
 *
 * @param attempts how many snapshots to try, newest first (2: the latest and the previous one)
 */
public record ProvisionFromSnapshots(SnapshotStore store, SnapshotCatalog catalog, Restorer restorer, int attempts,
                                     Set<String> unusable) {

    private static final Logger log = LoggerFactory.getLogger(ProvisionFromSnapshots.class);

    public ProvisionFromSnapshots {
        if (attempts < 1) {
            throw new IllegalArgumentException("snapshot provisioning attempts " + attempts + " must be at least 1");
        }
    }

    /** Tries the latest and the previous snapshot. */
    public static ProvisionFromSnapshots of(SnapshotStore store, Restorer restorer) {
        return new ProvisionFromSnapshots(store, new SnapshotCatalog(store), restorer, 2, ConcurrentHashMap.newKeySet());
    }

    /**
     * Restores the newest usable snapshot into {@code datadir}.
     *
     * @return the copy, or empty when no snapshot could be used (the caller falls back to live clone)
     * @throws TargetNotEmptyException datadir holds files and {@code existing} is REFUSE (no snapshot was read)
     */
    public Optional<RestoredCopy> restore(Path datadir, ExistingData existing) throws IOException, InterruptedException {
        List<SnapshotInfo> candidates;
        try {
            candidates = catalog.list().stream().filter(s -> !unusable.contains(s.id())).limit(attempts).toList();
        } catch (IOException | RuntimeException e) {
            log.warn("cannot list snapshots in {} ({}); next: provision by live clone", store.location(), e.getMessage());
            return Optional.empty();
        }
        if (candidates.isEmpty()) {
            log.info("no usable snapshot in {}; next: provision by live clone", store.location());
            return Optional.empty();
        }
        for (SnapshotInfo snapshot : candidates) {
            try {
                return Optional.of(restorer.restore(new SnapshotSource(store, snapshot), datadir, existing));
            } catch (TargetNotEmptyException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                if (e instanceof dev.autopilot.storage.StoreUnavailableException) {
                    log.warn("object store {} is unreachable while reading snapshot {} ({}); next: provision by live clone",
                            store.location(), snapshot.id(), e.getMessage());
                    return Optional.empty();
                }
                unusable.add(snapshot.id());
                log.warn("snapshot {} from {} is unusable ({}); it will not be tried again; next: {}", snapshot.id(),
                        store.location(), e.getMessage(),
                        snapshot == candidates.getLast() ? "provision by live clone" : "try the previous snapshot");
            }
        }
        return Optional.empty();
    }
}
