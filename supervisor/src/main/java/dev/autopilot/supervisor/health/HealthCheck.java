package dev.autopilot.supervisor.health;

/**
 * A built-in health check, selected in configuration by name ({@code health: {builtin: mysql}}).
 * Embedders pass a {@code Map<String, HealthCheck>} to the supervisor. The check is called on a virtual
 * thread, never concurrently with itself; when it exceeds the configured timeout the thread is
 * interrupted and the result counts as a failure. A thrown exception also counts as a failure.
 */
@FunctionalInterface
public interface HealthCheck {
    HealthResult check() throws Exception;
}
