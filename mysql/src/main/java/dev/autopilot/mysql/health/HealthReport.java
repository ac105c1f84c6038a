package dev.autopilot.mysql.health;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The result of one probe.
 *
 * @param healthy  whether the server fits its expected role
 * @param role     the role probed for
 * @param problems why not, one sentence each (empty when healthy); includes the server's error text
 * @param lag      replica lag when known
 * @param took     how long the probe took
 */
public record HealthReport(boolean healthy, ExpectedRole role, List<String> problems, Optional<Duration> lag, Duration took) {

    public HealthReport {
        problems = List.copyOf(problems);
    }

    /** One line for logs and the REST API: "healthy" or the problems joined. */
    public String summary() {
        return healthy ? "healthy " + role.name().toLowerCase(java.util.Locale.ROOT) : String.join("; ", problems);
    }
}
