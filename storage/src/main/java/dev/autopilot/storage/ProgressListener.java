package dev.autopilot.storage;

/** Hears how far a {@link SnapshotStore#put} has come, so callers can log a rate and an ETA. */
@FunctionalInterface
public interface ProgressListener {

    /** Ignores every report. */
    ProgressListener NONE = bytes -> { };

    /** {@code bytes} of the object are stored so far (monotonic; calls are serialized). Must not block long. */
    void stored(long bytes);
}
