package dev.autopilot.storage;

import dev.autopilot.storage.fs.DirectorySnapshotStore;
import dev.autopilot.storage.manta.MantaSnapshotStore;
import dev.autopilot.storage.s3.S3SnapshotStore;

import java.util.List;

/** Opens the {@link SnapshotStore} that {@link StoreSettings} select. */
public final class SnapshotStores {

    private SnapshotStores() {
    }

    /**
     * Opens the store without contacting it (an unreachable store must not stop an agent from starting).
     *
     * @throws IllegalArgumentException listing every problem in the settings, by path under {@code storage}
     */
    public static SnapshotStore open(StoreSettings settings) {
        List<String> problems = settings.problems("storage");
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid object store settings:\n  " + String.join("\n  ", problems));
        }
        return switch (settings) {
            case StoreSettings.Directory d -> new DirectorySnapshotStore(d.path());
            case StoreSettings.S3 s3 -> S3SnapshotStore.open(s3);
            case StoreSettings.Manta manta -> MantaSnapshotStore.open(manta);
        };
    }
}
