package dev.autopilot.supervisor.job;

import dev.autopilot.supervisor.event.EventBus;
import dev.autopilot.supervisor.health.HealthCheck;
import dev.autopilot.supervisor.metrics.SupervisorMetrics;
import dev.autopilot.supervisor.process.ChildProcesses;
import dev.autopilot.supervisor.process.JobOutput;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;

/** What every {@link Job} of one supervisor shares. */
public record JobContext(EventBus bus, ScheduledExecutorService timers, Map<String, HealthCheck> builtins,
                         ChildProcesses children, JobOutput output, SupervisorMetrics metrics) {}
