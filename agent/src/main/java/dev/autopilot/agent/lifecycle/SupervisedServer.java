package dev.autopilot.agent.lifecycle;

import dev.autopilot.agent.config.AgentConfig;
import dev.autopilot.agent.db.LocalDatabase;
import dev.autopilot.mysql.admin.DatabaseAdmin;
import dev.autopilot.supervisor.Supervisor;
import dev.autopilot.supervisor.config.ConfigException;
import dev.autopilot.supervisor.config.SupervisorConfig;
import dev.autopilot.supervisor.event.EventBus;
import dev.autopilot.supervisor.health.HealthCheck;
import dev.autopilot.supervisor.health.HealthResult;
import dev.autopilot.supervisor.process.ChildProcesses;
import dev.autopilot.supervisor.process.JobOutput;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * This member's {@code mariadbd} run by the supervisor (restarted with backoff when it exits): started read-only,
 * awaited until it answers, and given what a fresh copy still needs ({@link CopyToApply}) before anything else uses it.
 */
public final class SupervisedServer {
    private static final Duration START_TIMEOUT = Duration.ofMinutes(2);

    private final AgentConfig config;
    private final LocalDatabase db;
    private final EventBus bus;
    private final MeterRegistry metrics;
    private final ChildProcesses children;
    private final CopyInProgress copyInProgress;
    private volatile Supervisor supervisor;

    public SupervisedServer(AgentConfig config, LocalDatabase db, EventBus bus, MeterRegistry metrics, ChildProcesses children,
                            CopyInProgress copyInProgress) {
        this.config = config;
        this.db = db;
        this.bus = bus;
        this.metrics = metrics;
        this.children = children;
        this.copyInProgress = copyInProgress;
    }

    /**
     * Starts the server unless it runs, waits until it answers, then applies {@code copy}.
     *
     * @throws IllegalStateException when the port is taken, root is refused, or the server does not come up (with its log)
     */
    public void start(CopyToApply copy) throws IOException, InterruptedException {
        Supervisor running = launch();
        awaitDatabase(running);
        copy.history().ifPresent(history -> {
            DatabaseAdmin admin = db.admin();
            admin.execute("RESET MASTER");
            admin.execute("SET GLOBAL gtid_binlog_state = '" + history.format() + "'");
        });
        if (copy.slavePosition().isPresent()) {
            db.admin().setGtidSlavePos(copy.slavePosition().get());
            copyInProgress.finish(); // before the HA loop can start replication: re-applying is harmless, skipping is not
        }
    }

    private synchronized Supervisor launch() {
        if (supervisor != null) {
            return supervisor;
        }
        ensurePortFree();
        Map<String, HealthCheck> checks = Map.of(LocalDatabase.JOB,
                () -> db.admin().ping() ? HealthResult.ok() : HealthResult.failed("no answer to SELECT 1"));
        Supervisor s;
        try {
            s = new Supervisor(SupervisorConfig.of(List.of(db.job()), LocalDatabase.JOB), checks, bus, metrics,
                    JobOutput.tagged(System.out, System.err), children);
        } catch (ConfigException e) {
            throw new IllegalStateException("internal: the mariadbd job definition is invalid: " + e.problems());
        }
        s.start();
        supervisor = s;
        return s;
    }

    /** Stops the server (SIGTERM, a clean shutdown) and its supervisor; nothing when it does not run. */
    public synchronized void stop() throws InterruptedException {
        if (supervisor != null) {
            supervisor.stop();
            supervisor = null;
        }
    }

    /** A clear error now beats a database restarting forever on "address already in use". */
    private void ensurePortFree() {
        try (var socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(config.member().address(), config.mysql().port()));
        } catch (IOException e) {
            throw new IllegalStateException("port " + config.member().address() + ":" + config.mysql().port()
                    + " is in use (" + e.getMessage() + "); stop what listens there or change mysql.port / member.address");
        }
    }

    private void awaitDatabase(Supervisor running) throws InterruptedException {
        Instant deadline = Instant.now().plus(START_TIMEOUT);
        try (DatabaseAdmin probe = db.bootstrapAdmin()) {
            while (Instant.now().isBefore(deadline)) {
                if (db.admin().ping()) {
                    db.admin().flavor(); // rejects an unsupported server version with a clear message
                    return;
                }
                if (probe.ping()) {
                    return; // freshly initialised: root has no password yet
                }
                // Asked again after the refusal: the server may have come up between the two pings above and it.
                if (db.accessProblem().filter(why -> why.contains("Access denied")).isPresent() && !probe.ping()) {
                    throw new IllegalStateException("mariadbd on " + db.dataDir() + " refuses root: the secret root-password does"
                            + " not match the password stored in this data directory; give every member the cluster's root-password");
                }
                if (running.exitCode().isDone()) {
                    break;
                }
                Thread.sleep(200); // polling a process this thread does not control
            }
        }
        throw new IllegalStateException("mariadbd on " + config.member().address() + ":" + config.mysql().port()
                + " did not accept connections within " + START_TIMEOUT.toSeconds() + " s; its error log says:\n"
                + db.server().errorLogTail(20));
    }
}
