package dev.autopilot.supervisor;

import dev.autopilot.supervisor.health.HealthStatus;
import dev.autopilot.supervisor.job.JobState;
import java.util.OptionalLong;

/**
 * A snapshot of one job for status output and tests.
 *
 * @param pid        pid (= process group id) while running
 * @param restarts   restarts so far by the restart policy
 * @param lastExit   exit status of the last run, or {@code null}
 */
public record JobStatus(String name, JobState state, HealthStatus health, OptionalLong pid, int restarts, Integer lastExit) {
    /** One line for {@code autopilot ctl status}: {@code name state health pid=.. restarts=.. lastExit=..}. */
    public String line() {
        return String.format("%-16s %-8s %-9s pid=%s restarts=%d lastExit=%s", name, state.name().toLowerCase(),
                health.name().toLowerCase(), pid.isPresent() ? String.valueOf(pid.getAsLong()) : "-", restarts,
                lastExit == null ? "-" : lastExit);
    }
}
