package dev.autopilot.supervisor.config;

import dev.autopilot.supervisor.job.JobSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A whole supervisor configuration: the jobs plus process-wide settings. Built by
 * {@link ConfigLoader} from YAML, or from code; {@link ConfigChecks} validates either way.
 *
 * @param jobs          the jobs, in file order
 * @param mainJob       the job whose exit ends the supervisor and becomes its exit status, or {@code null}
 * @param controlSocket Unix-domain socket of the control plane, or {@code null} for the default
 * @param metrics       Prometheus HTTP endpoint, or {@code null} for none
 */
public record SupervisorConfig(List<JobSpec> jobs, String mainJob, Path controlSocket, MetricsConfig metrics) {
    public SupervisorConfig {
        jobs = List.copyOf(jobs);
    }

    public static SupervisorConfig of(List<JobSpec> jobs, String mainJob) {
        return new SupervisorConfig(jobs, mainJob, null, null);
    }

    public Optional<JobSpec> job(String name) {
        return jobs.stream().filter(j -> j.name().equals(name)).findFirst();
    }

    /** This configuration plus {@code job} (replacing a job of the same name), e.g. the agent's database job. */
    public SupervisorConfig withJob(JobSpec job) {
        List<JobSpec> copy = new ArrayList<>(jobs.stream().filter(j -> !j.name().equals(job.name())).toList());
        copy.add(job);
        return new SupervisorConfig(copy, mainJob, controlSocket, metrics);
    }

    public SupervisorConfig withMainJob(String name) {
        return new SupervisorConfig(jobs, name, controlSocket, metrics);
    }
}
