package dev.autopilot.agent.history;

import java.util.Locale;

/**
 * What happened, one constant per kind of cluster event kept in the history. Stored and shown by its {@link #wire()}
 * name ({@code lock-taken}); a reader meets kinds it does not know (a newer agent's) as plain text, so the stored form
 * is the name, never the ordinal.
 */
public enum EventKind {
    /** This member took the free leader lock (failover or switchover target). */
    LOCK_TAKEN,
    /** The holder gave the lock up (its database failed, a switchover, a graceful stop). */
    LOCK_RELEASED,
    /** The holder's lease ran out or could not be renewed. */
    LOCK_LOST,
    /** The server was made read-only and its client connections killed. */
    FENCED,
    /** Fencing did not verifiably work; retried every cycle. */
    FENCE_FAILED,
    /** Writes opened on a new primary, with the promotion's step timings. */
    PROMOTED,
    /** The lock was taken but writes could not be opened safely. */
    PROMOTION_ABANDONED,
    /** A primary stepped down for a switchover, with the step timings. */
    STEPPED_DOWN,
    /** An operator asked for a switchover. */
    SWITCHOVER_REQUESTED,
    /** The switchover's target leads. */
    SWITCHOVER_COMPLETED,
    /** The primary refused a switchover and stays primary. */
    SWITCHOVER_REFUSED,
    /** An operator forced a failover to a named member. */
    FAILOVER_FORCED,
    /** Automatic failover was paused. */
    PAUSED,
    /** Automatic failover was resumed. */
    RESUMED,
    /** A member's record appeared in the store. */
    MEMBER_JOINED,
    /** A member's record left the store (stopped, crashed, or its registration expired). */
    MEMBER_LEFT,
    /** A member started copying its data (snapshot or live clone). */
    PROVISIONING_STARTED,
    /** Bytes copied so far, the rate and the expected size when known. */
    PROVISIONING_PROGRESS,
    /** The copy is complete. */
    PROVISIONING_FINISHED,
    /** A member holds transactions the primary never had. */
    ERRANT_FOUND,
    /** A member's data directory is being replaced by a fresh copy. */
    REBUILD_STARTED,
    /** The rebuild finished and the database runs again. */
    REBUILD_FINISHED,
    /** A snapshot was written to the object store. */
    SNAPSHOT_TAKEN,
    /** A snapshot or the binlog archiving failed. */
    SNAPSHOT_FAILED,
    /** The binlog archive misses binlogs: point-in-time recovery cannot cross the gap. */
    ARCHIVE_GAP,
    /** The replicas now follow the new primary. */
    REPOINTED,
    /** This member cannot reach the coordination store. */
    STORE_UNREACHABLE,
    /** The coordination store answers again. */
    STORE_BACK,
    /** Semi-sync replication fell back to asynchronous (no replica acknowledged in time). */
    SEMI_SYNC_FALLBACK,
    /** Semi-sync acknowledgements are back. */
    SEMI_SYNC_BACK,
    /** Events were dropped while the store was unreachable (the bounded buffer overflowed). */
    HISTORY_DROPPED;

    /** The stored and shown name, e.g. {@code lock-taken}. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
