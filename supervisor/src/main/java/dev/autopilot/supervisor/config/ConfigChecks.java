package dev.autopilot.supervisor.config;

import dev.autopilot.supervisor.event.Event;
import dev.autopilot.supervisor.event.EventKind;
import dev.autopilot.supervisor.health.HealthSpec;
import dev.autopilot.supervisor.job.JobSpec;
import dev.autopilot.supervisor.job.When;
import dev.autopilot.supervisor.process.Posix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Checks that need the whole configuration or the machine: programs exist, users exist, {@code when}
 * sources name something that can publish that event, no dependency cycles, a valid main job.
 * Applies equally to YAML and to configurations built in code.
 */
public final class ConfigChecks {
    private static final Set<EventKind> SUPERVISOR_KINDS =
            Set.of(EventKind.STARTUP, EventKind.SHUTDOWN, EventKind.ENTER_MAINTENANCE, EventKind.EXIT_MAINTENANCE);

    private ConfigChecks() {}

    /** Every problem of a configuration built in code; empty when valid. */
    public static List<String> problems(SupervisorConfig config, Set<String> builtinChecks, Map<String, String> env) {
        Set<String> names = new HashSet<>();
        List<String> dup = new ArrayList<>();
        for (JobSpec j : config.jobs()) {
            if (!names.add(j.name())) {
                dup.add("jobs[" + j.name() + "].name: duplicate job name '" + j.name() + "'");
            }
        }
        List<String> out = new ArrayList<>(dup);
        out.addAll(problems(config, names, builtinChecks, env));
        return out;
    }

    static List<String> problems(SupervisorConfig config, Set<String> declared, Set<String> builtinChecks,
                                 Map<String, String> env) {
        List<String> out = new ArrayList<>();
        if (declared.isEmpty()) {
            out.add("jobs: no jobs defined (add at least one job with name and exec)");
        }
        Map<String, JobSpec> byName = new HashMap<>();
        config.jobs().forEach(j -> byName.putIfAbsent(j.name(), j));
        for (JobSpec j : config.jobs()) {
            String p = "jobs[" + j.name() + "]";
            program(j.exec().getFirst(), j, env).ifPresent(msg -> out.add(p + ".exec[0]: " + msg));
            if (j.health() != null && j.health().probe() instanceof HealthSpec.Command(List<String> argv)) {
                program(argv.getFirst(), j, env).ifPresent(msg -> out.add(p + ".health.exec[0]: " + msg));
            }
            if (j.health() != null && j.health().probe() instanceof HealthSpec.Builtin(String name)
                    && !builtinChecks.contains(name)) {
                out.add(p + ".health.builtin: unknown built-in check '" + name + "' (available: "
                        + (builtinChecks.isEmpty() ? "none registered" : String.join(", ", builtinChecks)) + ")");
            }
            if (j.user() != null && !userExists(j.user())) {
                out.add(p + ".user: no such user '" + j.user() + "' in /etc/passwd");
            }
            if (j.when() instanceof When.OnEvent(String source, EventKind kind, boolean once)) {
                source(source, kind, declared, byName).ifPresent(msg -> out.add(p + ".when.source: " + msg));
            }
        }
        cycle(config.jobs(), declared).ifPresent(out::add);
        if (config.mainJob() != null) {
            JobSpec main = byName.get(config.mainJob());
            if (!declared.contains(config.mainJob())) {
                out.add("main: no job named '" + config.mainJob() + "' (jobs: " + String.join(", ", declared) + ")");
            } else if (main != null && (main.when() instanceof When.Every
                    || main.when() instanceof When.OnEvent(var s, var k, boolean once) && !once)) {
                out.add("main: job '" + main.name() + "' runs repeatedly (when.interval or when.each);"
                        + " the main job must run once (at startup or when.once)");
            }
        }
        return out;
    }

    private static Optional<String> source(String source, EventKind kind, Set<String> declared, Map<String, JobSpec> jobs) {
        if (kind == EventKind.STATUS_CHANGED) {
            return Optional.empty(); // watch names come from the embedder
        }
        if (kind == EventKind.SIGNAL) {
            return Posix.signalNumber(source).isPresent() && source.startsWith("SIG") ? Optional.empty()
                    : Optional.of("'" + source + "' is not a signal name (signal events come from SIGHUP, SIGUSR1, ...)");
        }
        if (SUPERVISOR_KINDS.contains(kind)) {
            return source.equals(Event.SUPERVISOR) ? Optional.empty()
                    : Optional.of(kind.configName() + " events come from 'supervisor', not '" + source + "'");
        }
        if (!declared.contains(source)) {
            return Optional.of("no job named '" + source + "' (jobs: " + String.join(", ", declared) + ")");
        }
        JobSpec s = jobs.get(source);
        if ((kind == EventKind.HEALTHY || kind == EventKind.UNHEALTHY) && s != null && s.health() == null) {
            return Optional.of("job '" + source + "' has no health check, so it never becomes " + kind.configName());
        }
        if (kind == EventKind.TIMER && s != null && !(s.when() instanceof When.Every)) {
            return Optional.of("job '" + source + "' has no when.interval, so it never publishes timer events");
        }
        return Optional.empty();
    }

    private static Optional<String> cycle(List<JobSpec> jobs, Set<String> declared) {
        Map<String, String> edges = new HashMap<>();
        for (JobSpec j : jobs) {
            j.dependsOn(declared).ifPresent(d -> edges.put(j.name(), d));
        }
        Set<String> reported = new HashSet<>();
        for (JobSpec j : jobs) {
            List<String> path = new ArrayList<>();
            Set<String> seen = new LinkedHashSet<>();
            String cur = j.name();
            while (cur != null && seen.add(cur)) {
                path.add(cur);
                cur = edges.get(cur);
            }
            if (cur != null && cur.equals(j.name()) && reported.add(new java.util.TreeSet<>(seen).toString())) {
                path.add(cur);
                return Optional.of("jobs[" + j.name() + "].when.source: dependency cycle "
                        + path.stream().collect(Collectors.joining(" -> ")));
            }
        }
        return Optional.empty();
    }

    private static Optional<String> program(String program, JobSpec job, Map<String, String> env) {
        return program(program, job.workdir(), job.env(), env);
    }

    /** Whether {@code program} can be executed: an executable file, or found on the job's (else our) PATH. */
    static Optional<String> program(String program, Path workdir, Map<String, String> jobEnv, Map<String, String> env) {
        if (program.contains("/")) {
            Path p = Path.of(program);
            if (!p.isAbsolute() && workdir != null) {
                p = workdir.resolve(p);
            }
            if (!Files.exists(p)) {
                return Optional.of("program '" + program + "' does not exist");
            }
            if (Files.isDirectory(p) || !Files.isExecutable(p)) {
                return Optional.of("'" + program + "' is not an executable file");
            }
            return Optional.empty();
        }
        String path = jobEnv.getOrDefault("PATH", env.getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
        for (String dir : path.split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.empty();
            }
        }
        return Optional.of("program '" + program + "' not found on PATH (" + path + ")");
    }

    private static boolean userExists(String user) {
        try {
            return Files.readAllLines(Path.of("/etc/passwd")).stream()
                    .map(l -> l.split(":"))
                    .anyMatch(f -> f.length > 2 && (f[0].equals(user) || f[2].equals(user)));
        } catch (IOException e) {
            return true; // cannot tell; setpriv reports it at start
        }
    }
}
