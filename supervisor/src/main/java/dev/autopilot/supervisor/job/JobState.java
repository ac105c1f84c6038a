package dev.autopilot.supervisor.job;

/** Lifecycle of one job, as shown by {@code autopilot ctl status} and the {@code autopilot_job_state} metric. */
public enum JobState {
    /** Waiting for its {@code when} condition. */
    WAITING,
    /** Its process is running. */
    RUNNING,
    /** Exited; waiting out the restart backoff. */
    BACKOFF,
    /** Exited and will not run again unless its {@code when} fires again (one-shot or periodic jobs). */
    EXITED,
    /** Exited and reached its restart limit: given up. */
    FAILED,
    /** The supervisor is stopping it. */
    STOPPING,
    /** Stopped by the supervisor (shutdown, reload). */
    STOPPED
}
