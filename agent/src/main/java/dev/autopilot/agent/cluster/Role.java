package dev.autopilot.agent.cluster;

/** What a member is to the cluster. */
public enum Role {
    /** Holds the leader lock and accepts writes. */
    PRIMARY,
    /** Replicates from the primary. */
    REPLICA,
    /** Has no role yet: starting, provisioning, or held for an operator. */
    NONE
}
