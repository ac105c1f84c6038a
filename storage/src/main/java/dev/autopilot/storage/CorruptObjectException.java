package dev.autopilot.storage;

import java.io.IOException;

/**
 * The content read from the store does not match the size or SHA-256 recorded when the object was written.
 * Thrown by the stream {@link SnapshotStore#get} returns (hence an {@link IOException}).
 */
public final class CorruptObjectException extends IOException {

    private final String key;
    private final String expectedSha256;
    private final String actualSha256;

    public CorruptObjectException(String key, String expectedSha256, String actualSha256, String detail) {
        super("object '" + key + "' is corrupt: " + detail + " (expected SHA-256 " + expectedSha256
                + ", actual " + actualSha256 + "); do not use it, take or pick another snapshot");
        this.key = key;
        this.expectedSha256 = expectedSha256;
        this.actualSha256 = actualSha256;
    }

    public String key() {
        return key;
    }

    public String expectedSha256() {
        return expectedSha256;
    }

    /** The digest of what was read, or {@code "unknown"} when the size was already wrong. */
    public String actualSha256() {
        return actualSha256;
    }
}
