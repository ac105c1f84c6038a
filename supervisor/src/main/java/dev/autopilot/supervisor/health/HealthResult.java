package dev.autopilot.supervisor.health;

/**
 * Outcome of one health check.
 *
 * @param healthy whether the check passed
 * @param detail  short human-readable reason, shown in logs when the health state changes
 */
public record HealthResult(boolean healthy, String detail) {
    public static HealthResult ok() {
        return new HealthResult(true, "ok");
    }

    public static HealthResult failed(String detail) {
        return new HealthResult(false, detail);
    }
}
