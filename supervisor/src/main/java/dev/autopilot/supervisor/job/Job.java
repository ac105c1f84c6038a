package dev.autopilot.supervisor.job;

import dev.autopilot.supervisor.config.Durations;
import dev.autopilot.supervisor.event.Event;
import dev.autopilot.supervisor.event.EventKind;
import dev.autopilot.supervisor.event.Subscription;
import dev.autopilot.supervisor.health.HealthMonitor;
import dev.autopilot.supervisor.health.HealthStatus;
import dev.autopilot.supervisor.process.JobProcess;
import dev.autopilot.supervisor.process.Posix;
import java.io.IOException;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running side of one {@link JobSpec}: reacts to events, starts the process when its {@code when}
 * fires, restarts it with backoff, runs its health check, and stops it (signal, timeout, SIGKILL of the
 * group). State changes happen under one lock; blocking waits happen outside it.
 */
public final class Job {
    private static final Logger LOG = LoggerFactory.getLogger(Job.class);

    private final JobSpec spec;
    private final JobContext ctx;
    private final ReentrantLock lock = new ReentrantLock();
    private final CompletableFuture<Integer> finished = new CompletableFuture<>();
    private Subscription subscription;
    private volatile JobState state = JobState.WAITING;
    private volatile HealthStatus health = HealthStatus.UNKNOWN;
    private JobProcess current;
    private HealthMonitor monitor;
    private long startedAt;
    private int restartsInARow;
    private volatile int restarts;
    private volatile Integer lastStatus;
    private boolean triggered;
    private ScheduledFuture<?> pendingRestart;
    private ScheduledFuture<?> timer;
    private ScheduledFuture<?> runTimeout;

    public Job(JobSpec spec, JobContext ctx) {
        this.spec = spec;
        this.ctx = ctx;
    }

    public JobSpec spec() {
        return spec;
    }

    public String name() {
        return spec.name();
    }

    public JobState state() {
        return state;
    }

    public HealthStatus health() {
        return health;
    }

    /** Restarts so far (by the restart policy). */
    public int restarts() {
        return restarts;
    }

    /** Exit status of the last run, if any ran. */
    public Integer lastExitStatus() {
        return lastStatus;
    }

    /** Pid (= process group id) of the running process. */
    public OptionalLong pid() {
        JobProcess p = current;
        return p == null ? OptionalLong.empty() : OptionalLong.of(p.pid());
    }

    /** Completes with the last exit status once the job will not run again on its own (exited, gave up, stopped). */
    public CompletableFuture<Integer> finished() {
        return finished;
    }

    /** Subscribes to the bus. The supervisor attaches every job before it publishes {@code startup}. */
    public void attach() {
        ctx.metrics().jobAdded(name(), this::state, this::health);
        subscription = ctx.bus().subscribe(name(), this::onEvent);
    }

    /**
     * Starts a job added by a reload, after {@code startup} has passed: at-startup and interval jobs start
     * now; event-driven jobs start now if {@code conditionMet} (their event already happened).
     */
    public void begin(boolean conditionMet) {
        switch (spec.when()) {
            case When.AtStartup a -> launch("reload");
            case When.Every e -> startTimer(e.interval());
            case When.OnEvent o -> {
                if (conditionMet) {
                    lock.lock();
                    try {
                        triggered = true;
                    } finally {
                        lock.unlock();
                    }
                    launch(o.source() + " is already " + o.kind().configName());
                }
            }
        }
    }

    private void onEvent(Event e) {
        if (e.kind() == EventKind.STARTUP && e.source().equals(Event.SUPERVISOR)) {
            switch (spec.when()) {
                case When.AtStartup a -> launch("startup");
                case When.Every ev -> startTimer(ev.interval());
                default -> { }
            }
        }
        if (e.kind() == EventKind.TIMER && e.source().equals(name()) && spec.when() instanceof When.Every) {
            launch("timer");
        }
        if (spec.when() instanceof When.OnEvent(String source, EventKind kind, boolean once)
                && e.kind() == kind && e.source().equals(source)) {
            lock.lock();
            try {
                if (once && triggered) {
                    return;
                }
                triggered = true;
            } finally {
                lock.unlock();
            }
            launch(e.toString());
        }
        if (e.kind() == EventKind.SIGNAL && spec.forwardSignals().contains(e.source())) {
            JobProcess p = current;
            if (p != null) {
                p.signal(Posix.signalNumber(e.source()).orElseThrow());
                LOG.info("job {}: forwarded {} to process group {}", name(), e.source(), p.pid());
            }
        }
    }

    private void startTimer(Duration interval) {
        lock.lock();
        try {
            if (timer == null && !stopping()) {
                timer = ctx.timers().scheduleAtFixedRate(() -> ctx.bus().publish(new Event(EventKind.TIMER, name())),
                        0, interval.toMillis(), TimeUnit.MILLISECONDS);
            }
        } finally {
            lock.unlock();
        }
    }

    private boolean stopping() {
        return state == JobState.STOPPING || state == JobState.STOPPED;
    }

    private void launch(String reason) {
        lock.lock();
        try {
            if (stopping() || state == JobState.FAILED) {
                return;
            }
            if (current != null) {
                LOG.debug("job {}: {} while still running (pid {}); not starting another", name(), reason, current.pid());
                return;
            }
            pendingRestart = null;
            JobProcess p;
            try {
                p = JobProcess.start(name(), spec.exec(), spec.env(), spec.workdir(), spec.user(), ctx.output(),
                        ctx.children());
            } catch (IOException e) {
                LOG.error("job {}: cannot start {}: {}", name(), spec.exec().getFirst(), e.getMessage());
                ctx.timers().execute(() -> exited(null, 127));
                return;
            }
            current = p;
            startedAt = System.nanoTime();
            state = JobState.RUNNING;
            LOG.info("job {}: started pid {} ({})", name(), p.pid(), reason);
            ctx.bus().publish(new Event(EventKind.STARTED, name()));
            if (spec.timeout() != null) {
                runTimeout = ctx.timers().schedule(() -> timedOut(p), spec.timeout().toMillis(), TimeUnit.MILLISECONDS);
            }
            spec.healthSpec().ifPresent(h -> {
                monitor = new HealthMonitor(name(), h, ctx.builtins(), spec.env(), spec.workdir(), ctx.children(),
                        (took, r) -> ctx.metrics().healthChecked(name(), took, r.healthy()), this::healthChanged);
                monitor.start();
            });
            p.onExit().thenAccept(status -> exited(p, status));
        } finally {
            lock.unlock();
        }
    }

    private void timedOut(JobProcess p) {
        if (current != p) {
            return;
        }
        LOG.warn("job {}: still running after its timeout of {}; stopping pid {}", name(),
                Durations.format(spec.timeout()), p.pid());
        Thread.ofVirtual().name("timeout-" + name()).start(() -> {
            try {
                p.stop(Posix.signalNumber(spec.stopSignal()).orElseThrow(), spec.stopTimeout());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    private void healthChanged(HealthStatus s, String detail) {
        health = s;
        if (s == HealthStatus.HEALTHY) {
            LOG.info("job {}: healthy", name());
        } else {
            LOG.warn("job {}: unhealthy ({})", name(), detail);
        }
        ctx.bus().publish(new Event(s == HealthStatus.HEALTHY ? EventKind.HEALTHY : EventKind.UNHEALTHY, name()));
    }

    private void exited(JobProcess p, int status) {
        lock.lock();
        try {
            if (p != null && current != p) {
                return;
            }
            current = null;
            lastStatus = status;
            stopRunResources();
            if (stopping()) {
                return; // stop() reports the outcome
            }
            ctx.bus().publish(new Event(status == 0 ? EventKind.EXIT_SUCCESS : EventKind.EXIT_FAILED, name()));
            if (p != null && Duration.ofNanos(System.nanoTime() - startedAt).compareTo(spec.restart().resetAfter()) >= 0) {
                restartsInARow = 0;
            }
            RestartPolicy policy = spec.restart();
            if (!policy.wantsRestart(status)) {
                LOG.info("job {}: exited with status {}", name(), status);
                state = spec.when() instanceof When.AtStartup || spec.when() instanceof When.OnEvent o && o.once()
                        ? JobState.EXITED : JobState.WAITING;
                if (state == JobState.EXITED) {
                    finished.complete(status);
                }
                return;
            }
            int attempt = restartsInARow + 1;
            if (!policy.allows(attempt)) {
                state = JobState.FAILED;
                LOG.error("job {}: exited with status {}; giving up after {} restarts in a row (restart.limit {}),"
                        + " it will not be started again", name(), status, restartsInARow, policy.limit());
                finished.complete(status);
                return;
            }
            restartsInARow = attempt;
            Duration delay = policy.delayBefore(attempt);
            state = JobState.BACKOFF;
            LOG.warn("job {}: exited with status {}; restart {}{} in {}", name(), status, attempt,
                    policy.limit() == RestartPolicy.UNLIMITED ? "" : "/" + policy.limit(), Durations.format(delay));
            pendingRestart = ctx.timers().schedule(() -> {
                restarts++;
                ctx.metrics().restarted(name());
                launch("restart " + attempt);
            }, delay.toMillis(), TimeUnit.MILLISECONDS);
        } finally {
            lock.unlock();
        }
    }

    private void stopRunResources() {
        if (monitor != null) {
            monitor.close();
            monitor = null;
        }
        health = HealthStatus.UNKNOWN;
        if (runTimeout != null) {
            runTimeout.cancel(false);
            runTimeout = null;
        }
    }

    /**
     * Stops the job for good: cancels timers and restarts, sends the stop signal to the process group,
     * waits up to the stop timeout, then SIGKILLs the group. Blocks until the process is gone.
     */
    public void stop() throws InterruptedException {
        JobProcess p;
        lock.lock();
        try {
            if (stopping()) {
                return;
            }
            state = JobState.STOPPING;
            for (ScheduledFuture<?> f : new ScheduledFuture<?>[] {pendingRestart, timer, runTimeout}) {
                if (f != null) {
                    f.cancel(false);
                }
            }
            if (monitor != null) {
                monitor.close();
            }
            p = current;
        } finally {
            lock.unlock();
        }
        ctx.bus().publish(new Event(EventKind.STOPPING, name()));
        if (p != null) {
            LOG.info("job {}: stopping pid {} with {} (stop timeout {})", name(), p.pid(), spec.stopSignal(),
                    Durations.format(spec.stopTimeout()));
            JobProcess.StopOutcome out = p.stop(Posix.signalNumber(spec.stopSignal()).orElseThrow(), spec.stopTimeout());
            lastStatus = out.status();
            if (out.killed()) {
                LOG.warn("job {}: did not stop within {} after {}; killed its process group with SIGKILL",
                        name(), Durations.format(spec.stopTimeout()), spec.stopSignal());
            } else {
                LOG.info("job {}: stopped (exit status {})", name(), out.status());
            }
        }
        lock.lock();
        try {
            current = null;
            stopRunResources();
            state = JobState.STOPPED;
        } finally {
            lock.unlock();
        }
        ctx.bus().publish(new Event(EventKind.STOPPED, name()));
        finished.complete(lastStatus == null ? 0 : lastStatus);
    }

    /** Detaches from the bus and drops the job's meters (after {@link #stop()}, or when a reload removes it). */
    public void detach() {
        if (subscription != null) {
            subscription.close();
        }
        ctx.metrics().jobRemoved(name());
    }
}
