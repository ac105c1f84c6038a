package dev.autopilot.agent.cluster;

/** Where a member is in its lifecycle; shown by {@code autopilot status}. */
public enum MemberState {
    /** The agent is starting its database. */
    STARTING,
    /** Copying data from a peer or a snapshot. */
    PROVISIONING,
    /** Serving in its role and healthy. */
    RUNNING,
    /** The database is down or its probe fails. */
    UNHEALTHY,
    /** Lost the leader lease and turned itself read-only. */
    FENCED,
    /** Holds transactions the primary never had; replication is refused until it is rebuilt. */
    DIVERGED,
    /** Shutting down. */
    STOPPING
}
