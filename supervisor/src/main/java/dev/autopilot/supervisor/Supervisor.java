package dev.autopilot.supervisor;

import dev.autopilot.supervisor.config.ConfigChecks;
import dev.autopilot.supervisor.config.ConfigException;
import dev.autopilot.supervisor.config.SupervisorConfig;
import dev.autopilot.supervisor.event.Event;
import dev.autopilot.supervisor.event.EventBus;
import dev.autopilot.supervisor.event.EventKind;
import dev.autopilot.supervisor.health.HealthCheck;
import dev.autopilot.supervisor.health.HealthStatus;
import dev.autopilot.supervisor.job.Job;
import dev.autopilot.supervisor.job.JobContext;
import dev.autopilot.supervisor.job.JobSpec;
import dev.autopilot.supervisor.job.JobState;
import dev.autopilot.supervisor.job.When;
import dev.autopilot.supervisor.metrics.SupervisorMetrics;
import dev.autopilot.supervisor.process.ChildProcesses;
import dev.autopilot.supervisor.process.JobOutput;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the jobs of one {@link SupervisorConfig}. Lifecycle: {@link #start()} once, then
 * {@link #awaitExit()}; {@link #stop()} (or the main job's exit) runs the stop sequence: jobs in reverse
 * dependency order, those at the same depth in parallel, each within its stop timeout.
 */
public final class Supervisor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);

    private enum Lifecycle { LATENT, STARTED, STOPPING, STOPPED }

    private final Map<String, HealthCheck> builtins;
    private final EventBus bus;
    private final SupervisorMetrics metrics;
    private final ChildProcesses children;
    private final JobContext ctx;
    private final ScheduledExecutorService timers;
    private final Map<String, Job> jobs = new LinkedHashMap<>();
    private final AtomicReference<Lifecycle> lifecycle = new AtomicReference<>(Lifecycle.LATENT);
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private volatile SupervisorConfig config;
    private volatile boolean maintenance;

    /**
     * @param config   the jobs; checked again here (programmatic configs skip the YAML loader)
     * @param builtins built-in health checks by name
     * @param bus      the event bus, which the embedder may share to publish or watch events
     * @param registry where the meters go (e.g. a PrometheusMeterRegistry)
     * @param output   where job output lines go
     * @param children pids the JVM started (shared with an {@code OrphanReaper})
     * @throws ConfigException with every problem, by path
     */
    public Supervisor(SupervisorConfig config, Map<String, HealthCheck> builtins, EventBus bus, MeterRegistry registry,
                      JobOutput output, ChildProcesses children) throws ConfigException {
        check(config, builtins);
        this.config = config;
        this.builtins = Map.copyOf(builtins);
        this.bus = bus;
        this.metrics = new SupervisorMetrics(registry);
        this.children = children;
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "supervisor-timers");
            t.setDaemon(true);
            return t;
        });
        this.ctx = new JobContext(bus, timers, this.builtins, children, output, metrics);
    }

    /** A supervisor whose jobs print to this process's stdout/stderr, with its own {@link ChildProcesses}. */
    public Supervisor(SupervisorConfig config, Map<String, HealthCheck> builtins, EventBus bus, MeterRegistry registry)
            throws ConfigException {
        this(config, builtins, bus, registry, JobOutput.tagged(System.out, System.err), new ChildProcesses());
    }

    private static void check(SupervisorConfig config, Map<String, HealthCheck> builtins) throws ConfigException {
        List<String> problems = ConfigChecks.problems(config, builtins.keySet(), System.getenv());
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }

    public EventBus bus() {
        return bus;
    }

    public SupervisorMetrics metrics() {
        return metrics;
    }

    public ChildProcesses children() {
        return children;
    }

    /**
     * Attaches every job to the bus, then publishes {@code startup}. Starting twice fails; starting after
     * {@link #stop()} (e.g. SIGTERM during setup) does nothing.
     */
    public synchronized void start() {
        if (lifecycle.get() == Lifecycle.STOPPED) {
            LOG.info("supervisor was stopped before it started; not starting any job");
            return;
        }
        if (!lifecycle.compareAndSet(Lifecycle.LATENT, Lifecycle.STARTED)) {
            throw new IllegalStateException("supervisor already started (state " + lifecycle.get() + ")");
        }
        for (JobSpec spec : config.jobs()) {
            Job job = new Job(spec, ctx);
            job.attach();
            jobs.put(spec.name(), job);
        }
        watchMain();
        LOG.info("supervisor starting {} job(s): {}", jobs.size(), String.join(", ", jobs.keySet()));
        bus.publish(new Event(EventKind.STARTUP, Event.SUPERVISOR));
    }

    private void watchMain() {
        String main = config.mainJob();
        Job job = main == null ? null : jobs.get(main);
        if (job != null) {
            job.finished().thenAccept(status -> {
                if (lifecycle.get() == Lifecycle.STARTED && jobs.get(main) == job) {
                    LOG.info("main job {} finished with status {}; stopping the other jobs", main, status);
                    Thread.ofVirtual().name("supervisor-stop").start(this::stopQuietly);
                }
            });
        }
    }

    /** Blocks until the stop sequence has finished; returns the exit code (the main job's status, else 0). */
    public int awaitExit() throws InterruptedException {
        try {
            return exit.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Completes with the exit code when the supervisor has stopped. */
    public CompletableFuture<Integer> exitCode() {
        return exit;
    }

    /** Runs the stop sequence (idempotent; a second caller waits for the first). */
    public void stop() throws InterruptedException {
        if (!lifecycle.compareAndSet(Lifecycle.STARTED, Lifecycle.STOPPING)) {
            if (lifecycle.compareAndSet(Lifecycle.LATENT, Lifecycle.STOPPED)) {
                exit.complete(0);
            }
            awaitExit();
            return;
        }
        bus.publish(new Event(EventKind.SHUTDOWN, Event.SUPERVISOR));
        List<Job> all;
        synchronized (this) {
            all = List.copyOf(jobs.values());
        }
        stopInWaves(all);
        timers.shutdownNow();
        Integer code = 0;
        String main = config.mainJob();
        if (main != null && jobs.get(main) != null) {
            Integer s = jobs.get(main).lastExitStatus();
            code = s == null ? 0 : s;
        }
        all.forEach(Job::detach);
        lifecycle.set(Lifecycle.STOPPED);
        LOG.info("supervisor stopped; exit code {}", code);
        exit.complete(code);
    }

    private void stopQuietly() {
        try {
            stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops dependents before what they depend on; jobs at the same depth in parallel. */
    private void stopInWaves(List<Job> toStop) throws InterruptedException {
        Set<String> names = new java.util.HashSet<>(jobs.keySet());
        Map<String, String> dependsOn = new HashMap<>();
        jobs.values().forEach(j -> j.spec().dependsOn(names).ifPresent(d -> dependsOn.put(j.name(), d)));
        TreeMap<Integer, List<Job>> byDepth = new TreeMap<>(Comparator.reverseOrder());
        for (Job j : toStop) {
            int depth = 0;
            for (String d = dependsOn.get(j.name()); d != null && depth < names.size(); d = dependsOn.get(d)) {
                depth++;
            }
            byDepth.computeIfAbsent(depth, k -> new ArrayList<>()).add(j);
        }
        for (List<Job> wave : byDepth.values()) {
            List<Thread> threads = new ArrayList<>();
            for (Job j : wave) {
                threads.add(Thread.ofVirtual().name("stop-" + j.name()).start(() -> {
                    try {
                        j.stop();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
        }
    }

    /**
     * Applies a new configuration: jobs whose {@link JobSpec} is unchanged keep running untouched;
     * removed and changed jobs are stopped; changed and added jobs start per their {@code when}.
     * Process-wide settings (control socket, metrics listener) need a restart to change.
     *
     * @return what changed
     */
    public synchronized ReloadOutcome reload(SupervisorConfig next) throws ConfigException, InterruptedException {
        check(next, builtins);
        if (lifecycle.get() != Lifecycle.STARTED) {
            throw new IllegalStateException("cannot reload a supervisor that is " + lifecycle.get());
        }
        Map<String, JobSpec> wanted = new LinkedHashMap<>();
        next.jobs().forEach(j -> wanted.put(j.name(), j));
        List<String> unchanged = new ArrayList<>();
        List<String> changed = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        List<String> added = new ArrayList<>();
        for (Job j : jobs.values()) {
            JobSpec w = wanted.get(j.name());
            if (w == null) {
                removed.add(j.name());
            } else if (w.equals(j.spec())) {
                unchanged.add(j.name());
            } else {
                changed.add(j.name());
            }
        }
        wanted.keySet().stream().filter(n -> !jobs.containsKey(n)).forEach(added::add);
        List<Job> toStop = new ArrayList<>();
        removed.forEach(n -> toStop.add(jobs.get(n)));
        changed.forEach(n -> toStop.add(jobs.get(n)));
        stopInWaves(toStop);
        toStop.forEach(j -> {
            j.detach();
            jobs.remove(j.name());
        });
        this.config = next;
        List<Job> fresh = new ArrayList<>();
        for (JobSpec spec : next.jobs()) {
            if (changed.contains(spec.name()) || added.contains(spec.name())) {
                Job job = new Job(spec, ctx);
                job.attach();
                fresh.add(job);
            }
        }
        // Keep file order for status output.
        Map<String, Job> ordered = new LinkedHashMap<>();
        for (JobSpec spec : next.jobs()) {
            ordered.put(spec.name(), jobs.containsKey(spec.name()) ? jobs.get(spec.name())
                    : fresh.stream().filter(j -> j.name().equals(spec.name())).findFirst().orElseThrow());
        }
        jobs.clear();
        jobs.putAll(ordered);
        watchMain();
        for (Job job : fresh) {
            job.begin(alreadyHappened(job.spec().when()));
        }
        ReloadOutcome outcome = new ReloadOutcome(unchanged, changed, added, removed);
        LOG.info("reloaded configuration: {}", outcome);
        return outcome;
    }

    /** Whether the event an {@code when.once} job waits for is already true of its source job. */
    private boolean alreadyHappened(When when) {
        if (!(when instanceof When.OnEvent(String source, EventKind kind, boolean once)) || !once) {
            return false;
        }
        Job s = jobs.get(source);
        if (s == null) {
            return false;
        }
        return switch (kind) {
            case HEALTHY -> s.health() == HealthStatus.HEALTHY;
            case UNHEALTHY -> s.health() == HealthStatus.UNHEALTHY;
            case STARTED -> s.state() == JobState.RUNNING;
            case EXIT_SUCCESS -> Integer.valueOf(0).equals(s.lastExitStatus());
            case EXIT_FAILED -> s.lastExitStatus() != null && s.lastExitStatus() != 0;
            default -> false;
        };
    }

    /**
     * Switches maintenance mode, publishing {@code enterMaintenance}/{@code exitMaintenance} (source
     * {@code supervisor}) on a change. Jobs keep running; subscribers decide what maintenance means.
     *
     * @return whether the mode changed
     */
    public synchronized boolean maintenance(boolean on) {
        if (maintenance == on) {
            return false;
        }
        maintenance = on;
        LOG.info("maintenance mode {}", on ? "on" : "off");
        bus.publish(new Event(on ? EventKind.ENTER_MAINTENANCE : EventKind.EXIT_MAINTENANCE, Event.SUPERVISOR));
        return true;
    }

    public boolean inMaintenance() {
        return maintenance;
    }

    /** A signal arrived: publish it as an event (jobs forward it as configured). */
    public void signalReceived(String signal) {
        bus.publish(new Event(EventKind.SIGNAL, signal));
    }

    public synchronized List<JobStatus> status() {
        return jobs.values().stream().map(j -> new JobStatus(j.name(), j.state(), j.health(), j.pid(), j.restarts(),
                j.lastExitStatus())).toList();
    }

    public synchronized Optional<JobStatus> status(String job) {
        return status().stream().filter(s -> s.name().equals(job)).findFirst();
    }

    /** Pid of a job's running process, for tests and status. */
    public OptionalLong pid(String job) {
        return status(job).map(JobStatus::pid).orElse(OptionalLong.empty());
    }

    public SupervisorConfig config() {
        return config;
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    /** The result of a {@link #reload(SupervisorConfig)}, by job name. */
    public record ReloadOutcome(List<String> unchanged, List<String> changed, List<String> added, List<String> removed) {
        @Override
        public String toString() {
            return "unchanged " + unchanged + ", restarted " + changed + ", added " + added + ", removed " + removed;
        }
    }
}
