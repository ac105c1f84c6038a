package dev.autopilot.agent.lifecycle;

import dev.autopilot.agent.cluster.MemberState;
import java.util.Set;

/**
 * Where the agent itself is in its life, as opposed to what its database is doing. Changed only through
 * {@link AgentLifecycle}, atomically, along the transitions {@link #next()} allows.
 */
public enum AgentState {
    /** Taking over a server left running on the data directory, opening the store, giving the member its data. */
    STARTING,
    /** The data directory is being replaced by a copy (a rebuild); the database is stopped meanwhile. */
    PROVISIONING,
    /** The HA loop runs and decides the member's role. */
    RUNNING,
    /** A rebuild failed; it is retried with backoff, the database stays stopped until a copy is in place. */
    REBUILD_FAILED,
    /** Graceful stop in progress: a primary hands over, then everything is closed. */
    STOPPING,
    /** Stopped; nothing runs. */
    CLOSED;

    /** The states this one may change to. */
    public Set<AgentState> next() {
        return switch (this) {
            case STARTING -> Set.of(RUNNING, STOPPING, CLOSED);
            case RUNNING -> Set.of(PROVISIONING, STOPPING, CLOSED);
            case PROVISIONING -> Set.of(RUNNING, REBUILD_FAILED, STOPPING, CLOSED);
            case REBUILD_FAILED -> Set.of(PROVISIONING, STOPPING, CLOSED);
            case STOPPING -> Set.of(CLOSED);
            case CLOSED -> Set.of();
        };
    }

    /**
     * The state other members and {@code autopilot status} see in this member's record. A failed rebuild shows as
     * PROVISIONING: the member has no usable data yet and the HA loop must not act on it (a new record state would
     * be unreadable by agents of an older version during a rolling upgrade). RUNNING leaves it to the HA loop, which
     * derives RUNNING, UNHEALTHY, FENCED or DIVERGED from each reading.
     */
    public MemberState memberState() {
        return switch (this) {
            case STARTING, RUNNING -> MemberState.STARTING;
            case PROVISIONING, REBUILD_FAILED -> MemberState.PROVISIONING;
            case STOPPING, CLOSED -> MemberState.STOPPING;
        };
    }
}
