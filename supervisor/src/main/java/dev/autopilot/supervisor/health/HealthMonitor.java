package dev.autopilot.supervisor.health;

import dev.autopilot.supervisor.process.ChildProcesses;
import dev.autopilot.supervisor.process.JobProcess;
import dev.autopilot.supervisor.process.Posix;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;

/**
 * Runs one job's health check on an interval while the job's process runs, counts consecutive results
 * and reports a change of {@link HealthStatus} once the configured threshold is crossed.
 */
public final class HealthMonitor implements AutoCloseable {

    /** Receives the duration and result of every check (for metrics). */
    public interface Observer {
        void checked(Duration took, HealthResult result);
    }

    private final String job;
    private final HealthSpec spec;
    private final HealthCheck check;
    private final Observer observer;
    private final BiConsumer<HealthStatus, String> onChange;
    private final ExecutorService builtinRunner;
    private volatile Thread thread;
    private HealthStatus status = HealthStatus.UNKNOWN;
    private int successes;
    private int failures;

    /**
     * @param builtins the embedder's checks, for {@link HealthSpec.Builtin} probes
     * @param onChange called from the monitor thread when the status changes, with the last result's detail
     */
    public HealthMonitor(String job, HealthSpec spec, Map<String, HealthCheck> builtins, Map<String, String> env,
                         Path workdir, ChildProcesses children, Observer observer,
                         BiConsumer<HealthStatus, String> onChange) {
        this.job = job;
        this.spec = spec;
        this.observer = observer;
        this.onChange = onChange;
        this.builtinRunner = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("health-" + job).factory());
        this.check = switch (spec.probe()) {
            case HealthSpec.Builtin(String name) -> builtins.get(name);
            case HealthSpec.Command(var argv) -> () -> runCommand(argv, env, workdir, children);
        };
    }

    public void start() {
        thread = Thread.ofVirtual().name("health-" + job + "-loop").start(this::loop);
    }

    private void loop() {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                long t0 = System.nanoTime();
                HealthResult r = runOnce();
                observer.checked(Duration.ofNanos(System.nanoTime() - t0), r);
                record(r);
                Thread.sleep(spec.interval());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private HealthResult runOnce() throws InterruptedException {
        Future<HealthResult> f = builtinRunner.submit(check::check);
        try {
            HealthResult r = f.get(spec.timeout().toMillis(), TimeUnit.MILLISECONDS);
            return r == null ? HealthResult.failed("check returned no result") : r;
        } catch (TimeoutException e) {
            f.cancel(true);
            return HealthResult.failed("timed out after " + spec.timeout().toMillis() + "ms");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            return HealthResult.failed(c.getClass().getSimpleName() + (c.getMessage() != null ? ": " + c.getMessage() : ""));
        } catch (InterruptedException e) {
            f.cancel(true);
            throw e;
        }
    }

    private void record(HealthResult r) {
        if (r.healthy()) {
            successes++;
            failures = 0;
            if (status != HealthStatus.HEALTHY && successes >= spec.successes()) {
                change(HealthStatus.HEALTHY, r.detail());
            }
        } else {
            failures++;
            successes = 0;
            if (status != HealthStatus.UNHEALTHY && failures >= spec.failures()) {
                change(HealthStatus.UNHEALTHY, r.detail());
            }
        }
    }

    private void change(HealthStatus s, String detail) {
        status = s;
        onChange.accept(s, detail);
    }

    private static HealthResult runCommand(java.util.List<String> argv, Map<String, String> env, Path workdir,
                                           ChildProcesses children) throws Exception {
        AtomicReference<String> last = new AtomicReference<>("");
        JobProcess p = JobProcess.start("health", argv, env, workdir, null, (j, err, line) -> last.set(line), children);
        try {
            int status = p.onExit().get();
            return status == 0 ? HealthResult.ok()
                    : HealthResult.failed("exit status " + status + (last.get().isEmpty() ? "" : ": " + last.get()));
        } catch (InterruptedException e) {
            p.signal(Posix.SIGKILL); // timed out: the monitor cancelled us
            throw e;
        }
    }

    /** Stops checking; a check in progress is interrupted (a command's process group is killed). */
    @Override
    public void close() {
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
        builtinRunner.shutdownNow();
    }
}
