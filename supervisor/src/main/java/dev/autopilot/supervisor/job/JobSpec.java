package dev.autopilot.supervisor.job;

import dev.autopilot.supervisor.health.HealthSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The validated definition of one job. Built from YAML by the config loader or from code
 * ({@link #command(String, List)} plus the {@code with...} methods). Records compare by value, so a
 * reload restarts exactly the jobs whose definition changed.
 *
 * @param name           unique job name; also the event source and the log tag
 * @param exec           argv; {@code exec.get(0)} is the program (absolute path or found on PATH)
 * @param env            extra environment, on top of the supervisor's own
 * @param workdir        working directory, or {@code null} for the supervisor's
 * @param user           user to run as (name or numeric uid), or {@code null} for the supervisor's
 * @param when           when the process starts
 * @param restart        what happens when it exits on its own
 * @param timeout        a run longer than this is killed and counts as failed; {@code null} = no limit
 * @param stopTimeout    after the stop signal, wait this long before SIGKILL of the whole process group
 * @param stopSignal     signal sent first when stopping ({@code SIGTERM} unless set)
 * @param forwardSignals signals the supervisor receives and passes on to this job's process group
 * @param health         health check, or {@code null} for none
 */
public record JobSpec(
        String name,
        List<String> exec,
        Map<String, String> env,
        Path workdir,
        String user,
        When when,
        RestartPolicy restart,
        Duration timeout,
        Duration stopTimeout,
        String stopSignal,
        Set<String> forwardSignals,
        HealthSpec health) {

    /** Default stop timeout when neither the job nor the file sets one. */
    public static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(10);

    public JobSpec {
        Objects.requireNonNull(name, "name");
        exec = List.copyOf(exec);
        if (exec.isEmpty()) {
            throw new IllegalArgumentException("job " + name + ": exec needs at least the program");
        }
        env = Map.copyOf(new TreeMap<>(env));
        Objects.requireNonNull(when, "when");
        Objects.requireNonNull(restart, "restart");
        Objects.requireNonNull(stopTimeout, "stopTimeout");
        Objects.requireNonNull(stopSignal, "stopSignal");
        forwardSignals = Set.copyOf(new TreeSet<>(forwardSignals));
    }

    /** A job that runs {@code argv} at startup, never restarts, and stops with SIGTERM within 10 s. */
    public static JobSpec command(String name, List<String> argv) {
        return new JobSpec(name, argv, Map.of(), null, null, When.atStartup(), RestartPolicy.never(), null,
                DEFAULT_STOP_TIMEOUT, "SIGTERM", Set.of(), null);
    }

    public JobSpec withEnv(Map<String, String> e) {
        return new JobSpec(name, exec, e, workdir, user, when, restart, timeout, stopTimeout, stopSignal, forwardSignals, health);
    }

    public JobSpec withWorkdir(Path w) {
        return new JobSpec(name, exec, env, w, user, when, restart, timeout, stopTimeout, stopSignal, forwardSignals, health);
    }

    public JobSpec withUser(String u) {
        return new JobSpec(name, exec, env, workdir, u, when, restart, timeout, stopTimeout, stopSignal, forwardSignals, health);
    }

    public JobSpec withWhen(When w) {
        return new JobSpec(name, exec, env, workdir, user, w, restart, timeout, stopTimeout, stopSignal, forwardSignals, health);
    }

    public JobSpec withRestart(RestartPolicy r) {
        return new JobSpec(name, exec, env, workdir, user, when, r, timeout, stopTimeout, stopSignal, forwardSignals, health);
    }

    public JobSpec withTimeout(Duration t) {
        return new JobSpec(name, exec, env, workdir, user, when, restart, t, stopTimeout, stopSignal, forwardSignals, health);
    }

    public JobSpec withStop(String signal, Duration t) {
        return new JobSpec(name, exec, env, workdir, user, when, restart, timeout, t, signal, forwardSignals, health);
    }

    public JobSpec withForwardSignals(Set<String> s) {
        return new JobSpec(name, exec, env, workdir, user, when, restart, timeout, stopTimeout, stopSignal, s, health);
    }

    public JobSpec withHealth(HealthSpec h) {
        return new JobSpec(name, exec, env, workdir, user, when, restart, timeout, stopTimeout, stopSignal, forwardSignals, h);
    }

    public Optional<HealthSpec> healthSpec() {
        return Optional.ofNullable(health);
    }

    /** The job this one waits for ({@code when.source} naming a job), if any. */
    public Optional<String> dependsOn(Set<String> jobNames) {
        return when instanceof When.OnEvent(String source, var kind, var once) && jobNames.contains(source)
                ? Optional.of(source) : Optional.empty();
    }
}
