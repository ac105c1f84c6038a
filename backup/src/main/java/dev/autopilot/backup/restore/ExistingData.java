package dev.autopilot.backup.restore;

/** What the {@link Restorer} may do with a target data directory that already holds files. */
public enum ExistingData {
    /** Refuse: a non-empty data directory may hold the only copy of something. The default. */
    REFUSE,
    /** The caller has decided the old data is disposable (e.g. a node being rebuilt): delete it. */
    DISCARD
}
