package dev.autopilot.mysql.health;

/** The role the agent believes its server has; the probe checks the server against it. */
public enum ExpectedRole {
    /** Writable, answering. */
    PRIMARY,
    /** Both replication threads running, no applier error, lag within the limit. */
    REPLICA,
    /** Answering is enough (starting up, being provisioned, fenced). */
    ANY
}
