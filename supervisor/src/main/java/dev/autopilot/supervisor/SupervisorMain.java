package dev.autopilot.supervisor;

import dev.autopilot.supervisor.config.ConfigException;
import dev.autopilot.supervisor.config.ConfigLoader;
import dev.autopilot.supervisor.config.SupervisorConfig;
import dev.autopilot.supervisor.control.ControlHandler;
import dev.autopilot.supervisor.control.ControlServer;
import dev.autopilot.supervisor.event.EventBus;
import dev.autopilot.supervisor.health.HealthCheck;
import dev.autopilot.supervisor.metrics.MetricsEndpoint;
import dev.autopilot.supervisor.process.ChildProcesses;
import dev.autopilot.supervisor.process.JobOutput;
import dev.autopilot.supervisor.process.OrphanReaper;
import dev.autopilot.supervisor.process.Posix;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * {@code autopilot supervise --config FILE [--pid1] [--control-socket PATH]}: runs the jobs of a YAML
 * file until the main job finishes or SIGTERM/SIGINT arrives, and exits with the main job's status.
 * Exit codes: 2 for a bad command line or configuration (every problem listed by path), 1 when the
 * supervisor cannot set itself up (e.g. the control socket), otherwise the main job's status (0 without one).
 */
public final class SupervisorMain {
    private static final Logger LOG = LoggerFactory.getLogger(SupervisorMain.class);
    /** Signals turned into events; SIGTERM and SIGINT also start the stop sequence. SIGQUIT stays the JVM's. */
    private static final List<String> SIGNALS = List.of("TERM", "INT", "HUP", "USR1", "USR2");
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_SETUP = 1;

    private SupervisorMain() {}

    public static void main(String[] args) {
        System.exit(run(List.of(args), System.out, System.err));
    }

    public static int run(List<String> args, PrintStream out, PrintStream err) {
        return run(args, out, err, Map.of());
    }

    /** As {@link #run(List, PrintStream, PrintStream)}, with the embedder's built-in health checks. */
    public static int run(List<String> args, PrintStream out, PrintStream err, Map<String, HealthCheck> builtins) {
        Path configFile = null;
        Path socket = null;
        boolean pid1 = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--config", "--control-socket" -> {
                    if (i + 1 >= args.size()) {
                        err.println("autopilot supervise: " + a + " needs a value");
                        return EXIT_USAGE;
                    }
                    Path p = Path.of(args.get(++i));
                    if (a.equals("--config")) {
                        configFile = p;
                    } else {
                        socket = p;
                    }
                }
                case "--pid1" -> pid1 = true;
                case "-h", "--help" -> {
                    out.println("usage: autopilot supervise --config FILE [--pid1] [--control-socket PATH]");
                    return 0;
                }
                default -> {
                    err.println("autopilot supervise: unknown option '" + a
                            + "' (usage: --config FILE [--pid1] [--control-socket PATH])");
                    return EXIT_USAGE;
                }
            }
        }
        if (configFile == null) {
            err.println("autopilot supervise: --config FILE is required");
            return EXIT_USAGE;
        }
        ConfigLoader loader = new ConfigLoader(System.getenv(), builtins.keySet());
        SupervisorConfig config;
        try {
            config = loader.load(configFile);
        } catch (ConfigException e) {
            printProblems(err, configFile, e);
            return EXIT_USAGE;
        }
        try {
            return supervise(config, configFile, socket, pid1, out, err, builtins);
        } catch (ConfigException e) {
            printProblems(err, configFile, e);
            return EXIT_USAGE;
        } catch (IOException e) {
            err.println("autopilot supervise: " + e.getMessage());
            return EXIT_SETUP;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return EXIT_SETUP;
        }
    }

    private static void printProblems(PrintStream err, Path file, ConfigException e) {
        err.println("autopilot supervise: " + file + " is invalid (" + e.problems().size() + " problem"
                + (e.problems().size() == 1 ? "" : "s") + "):");
        e.problems().forEach(p -> err.println("  " + p));
    }

    private static int supervise(SupervisorConfig config, Path configFile, Path socketArg, boolean pid1, PrintStream out,
                                 PrintStream err, Map<String, HealthCheck> builtins)
            throws ConfigException, IOException, InterruptedException {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ChildProcesses children = new ChildProcesses();
        EventBus bus = new EventBus();
        Supervisor sup = new Supervisor(config, builtins, bus, registry, JobOutput.tagged(out, err), children);
        List<AutoCloseable> resources = new ArrayList<>();
        Map<Signal, SignalHandler> previous = new HashMap<>();
        try {
            if (pid1 || Posix.getpid() == 1) {
                OrphanReaper reaper = new OrphanReaper(children, Duration.ofMillis(500), Duration.ofSeconds(1));
                reaper.start();
                resources.add(reaper);
            }
            if (config.metrics() != null) {
                var m = config.metrics();
                MetricsEndpoint endpoint = new MetricsEndpoint(registry, m.host(), m.port(), m.path());
                resources.add(endpoint);
                LOG.info("metrics on http://{}:{}{}", m.host(), endpoint.port(), m.path());
            }
            Path socket = socketArg != null ? socketArg
                    : config.controlSocket() != null ? config.controlSocket() : ControlServer.defaultSocket();
            try {
                resources.add(new ControlServer(socket, handler(sup, configFile, builtins)));
            } catch (IOException e) {
                throw new IOException("cannot open control socket " + socket + ": " + e
                        + " (choose another path with --control-socket or control.socket)", e);
            }
            for (String name : SIGNALS) {
                Signal s = new Signal(name);
                previous.put(s, Signal.handle(s, sig -> onSignal(sup, "SIG" + sig.getName())));
            }
            sup.start();
            return sup.awaitExit();
        } finally {
            sup.stop(); // no-op when already stopped; stops jobs if we leave early
            previous.forEach(Signal::handle);
            for (AutoCloseable r : resources.reversed()) {
                try {
                    r.close();
                } catch (Exception e) {
                    LOG.debug("closing {}: {}", r, e.toString());
                }
            }
            bus.close();
        }
    }

    private static void onSignal(Supervisor sup, String signal) {
        LOG.info("received {}", signal);
        sup.signalReceived(signal);
        if (signal.equals("SIGTERM") || signal.equals("SIGINT")) {
            Thread.ofVirtual().name("supervisor-stop").start(() -> {
                try {
                    sup.stop();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
    }

    private static ControlHandler handler(Supervisor sup, Path configFile, Map<String, HealthCheck> builtins) {
        return new ControlHandler() {
            @Override
            public List<String> reload() throws ControlException {
                try {
                    SupervisorConfig next = new ConfigLoader(System.getenv(), builtins.keySet()).load(configFile);
                    return List.of(sup.reload(next).toString());
                } catch (ConfigException e) {
                    throw new ControlException(configFile + " is invalid; still running the previous configuration:\n"
                            + String.join("\n", e.problems()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ControlException("interrupted during reload");
                } catch (IllegalStateException e) {
                    throw new ControlException(e.getMessage());
                }
            }

            @Override
            public List<String> maintenance(boolean on) {
                boolean changed = sup.maintenance(on);
                return List.of("maintenance " + (on ? "on" : "off") + (changed ? "" : " (unchanged)"));
            }

            @Override
            public List<String> status() {
                List<String> lines = new ArrayList<>();
                lines.add("maintenance " + (sup.inMaintenance() ? "on" : "off"));
                sup.status().forEach(s -> lines.add(s.line()));
                return lines;
            }
        };
    }
}
