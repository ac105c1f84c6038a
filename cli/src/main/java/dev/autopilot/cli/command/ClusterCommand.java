package dev.autopilot.cli.command;

import dev.autopilot.cli.CommandFailure;
import dev.autopilot.cli.cluster.ClusterConnection;
import dev.autopilot.cli.cluster.ClusterOptions;
import dev.autopilot.cli.cluster.ClusterReading;
import dev.autopilot.cli.cluster.ClusterTarget;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Predicate;

/**
 * A command that reads the cluster from the store and acts through the agents' REST API; its model is built in code
 * (see {@link CliCommand}), with {@link ClusterOptions} mixed in.
 */
public abstract class ClusterCommand extends CliCommand {
    protected ClusterCommand(String name, String... description) {
        super(name, description);
        spec.addMixin("cluster", ClusterOptions.mixin());
    }

    protected ClusterTarget target() {
        return ClusterOptions.of(spec).resolve(env());
    }

    /** Polls the store until {@code done} holds, or fails with {@code timeoutMessage} after {@code timeout}. */
    protected static ClusterReading await(ClusterConnection store, Duration timeout, Predicate<ClusterReading> done, String timeoutMessage) {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            ClusterReading c = store.read();
            if (done.test(c)) {
                return c;
            }
            if (Instant.now().isAfter(deadline)) {
                throw CommandFailure.failed(timeoutMessage + " (" + String.join("; ", c.problems()) + "); check 'autopilot status' and the agents' logs");
            }
            try {
                Thread.sleep(100); // polling the store for a state other processes bring about
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw CommandFailure.failed("interrupted");
            }
        }
    }
}
