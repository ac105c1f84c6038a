package dev.autopilot.supervisor;

import dev.autopilot.supervisor.config.ConfigException;
import dev.autopilot.supervisor.config.SupervisorConfig;
import dev.autopilot.supervisor.event.Event;
import dev.autopilot.supervisor.event.EventBus;
import dev.autopilot.supervisor.health.HealthCheck;
import dev.autopilot.supervisor.process.ChildProcesses;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** An in-process supervisor plus everything it emitted: events (with arrival time) and job output lines. */
final class Harness implements AutoCloseable {
    record Seen(Event event, long nanos) {}

    final EventBus bus = new EventBus();
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final List<Seen> events = new CopyOnWriteArrayList<>();
    final List<String> output = new CopyOnWriteArrayList<>();
    final Supervisor supervisor;

    Harness(SupervisorConfig config, Map<String, HealthCheck> builtins) throws ConfigException {
        bus.subscribe("test-recorder", e -> events.add(new Seen(e, System.nanoTime())));
        supervisor = new Supervisor(config, builtins, bus, registry, (job, err, line) -> output.add(job + ": " + line),
                new ChildProcesses());
    }

    List<Event> eventsOf(String source) {
        return events.stream().map(Seen::event).filter(e -> e.source().equals(source)).toList();
    }

    @Override
    public void close() throws InterruptedException {
        supervisor.stop();
        bus.close();
    }
}
