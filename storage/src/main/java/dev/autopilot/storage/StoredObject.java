package dev.autopilot.storage;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A complete object in a {@link SnapshotStore}.
 *
 * @param key      its key
 * @param size     its length in bytes
 * @param sha256   lowercase hex SHA-256 of its content, computed while it was written
 * @param created  when the write completed
 * @param metadata the caller's metadata, as given to {@link SnapshotStore#put}
 */
public record StoredObject(String key, long size, String sha256, Instant created, Map<String, String> metadata) {

    public StoredObject {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(created, "created");
        metadata = Map.copyOf(metadata);
        if (size < 0) {
            throw new IllegalArgumentException("size of " + key + " is negative: " + size);
        }
    }
}
