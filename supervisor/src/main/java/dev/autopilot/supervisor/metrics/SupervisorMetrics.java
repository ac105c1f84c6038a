package dev.autopilot.supervisor.metrics;

import dev.autopilot.supervisor.health.HealthStatus;
import dev.autopilot.supervisor.job.JobState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * The supervisor's meters. In Prometheus form: {@code autopilot_job_state{job,state}} (1 for the
 * current state, 0 otherwise), {@code autopilot_job_healthy{job}} (1, 0, or -1 while unknown),
 * {@code autopilot_job_restarts_total{job}}, and {@code autopilot_health_check_seconds{job,result}}
 * (count, sum, max of health-check durations by result {@code healthy}/{@code unhealthy}).
 */
public final class SupervisorMetrics {
    private final MeterRegistry registry;

    public SupervisorMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Registers the gauges of a job; {@link #jobRemoved(String)} drops them again. */
    public void jobAdded(String job, Supplier<JobState> state, Supplier<HealthStatus> health) {
        for (JobState s : JobState.values()) {
            Gauge.builder("autopilot.job.state", () -> state.get() == s ? 1 : 0)
                    .tag("job", job).tag("state", s.name().toLowerCase(java.util.Locale.ROOT))
                    .description("1 for the job's current state").register(registry);
        }
        Gauge.builder("autopilot.job.healthy", () -> switch (health.get()) {
                    case HEALTHY -> 1;
                    case UNHEALTHY -> 0;
                    case UNKNOWN -> -1;
                })
                .tag("job", job).description("1 healthy, 0 unhealthy, -1 unknown or no health check").register(registry);
        restarts(job);
    }

    public void jobRemoved(String job) {
        registry.getMeters().stream().filter(m -> job.equals(m.getId().getTag("job"))).toList()
                .forEach(registry::remove);
    }

    public void restarted(String job) {
        restarts(job).increment();
    }

    public void healthChecked(String job, Duration took, boolean healthy) {
        Timer.builder("autopilot.health.check").tag("job", job).tag("result", healthy ? "healthy" : "unhealthy")
                .description("duration of health checks").register(registry).record(took);
    }

    private Counter restarts(String job) {
        return Counter.builder("autopilot.job.restarts").tag("job", job)
                .description("restarts after the job's process exited").register(registry);
    }
}
