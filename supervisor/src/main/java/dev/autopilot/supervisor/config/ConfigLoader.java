package dev.autopilot.supervisor.config;

import dev.autopilot.supervisor.event.EventKind;
import dev.autopilot.supervisor.health.HealthSpec;
import dev.autopilot.supervisor.job.JobSpec;
import dev.autopilot.supervisor.job.RestartPolicy;
import dev.autopilot.supervisor.job.When;
import dev.autopilot.supervisor.process.Posix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Reads the supervisor YAML file: interpolates the environment into every string, checks every key,
 * type and value, and reports all problems at once, each with its path ({@code jobs[db].health.interval}).
 * Numbers and booleans may also be given as strings, so {@code limit: ${RESTARTS:-3}} works.
 */
public final class ConfigLoader {
    private static final Set<String> TOP_KEYS = ordered("jobs", "main", "stopTimeout", "control", "metrics");
    private static final Set<String> JOB_KEYS = ordered("name", "exec", "env", "workdir", "user", "when", "restart",
            "timeout", "stopTimeout", "stopSignal", "forwardSignals", "health");
    private static final Set<String> WHEN_KEYS = ordered("source", "once", "each", "interval");
    private static final Set<String> RESTART_KEYS = ordered("policy", "limit", "backoff", "maxBackoff", "resetAfter");
    private static final Set<String> HEALTH_KEYS = ordered("exec", "builtin", "interval", "timeout", "failures", "successes");

    private final Map<String, String> env;
    private final Set<String> builtinChecks;
    private final Interpolation interpolation;
    private final List<String> problems = new ArrayList<>();

    /**
     * @param env           variables for interpolation and for finding programs on PATH (usually System.getenv())
     * @param builtinChecks names of the built-in health checks the embedder provides
     */
    public ConfigLoader(Map<String, String> env, Set<String> builtinChecks) {
        this.env = Map.copyOf(env);
        this.builtinChecks = Set.copyOf(builtinChecks);
        this.interpolation = new Interpolation(this.env);
    }

    /** Loads and validates {@code file}; throws with every problem found. */
    public SupervisorConfig load(Path file) throws ConfigException {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ConfigException(List.of(file + ": cannot read configuration file (" + e.getMessage() + ")"));
        }
        return parse(text);
    }

    /** Parses and validates YAML text. */
    public SupervisorConfig parse(String yaml) throws ConfigException {
        problems.clear();
        YamlNode root;
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            root = new YamlNode(new Yaml(new SafeConstructor(options)).load(yaml));
        } catch (MarkedYAMLException e) {
            throw new ConfigException(List.of("(file): not valid YAML: " + e.getProblem()
                    + (e.getProblemMark() != null ? " at line " + (e.getProblemMark().getLine() + 1) : "")));
        } catch (YAMLException e) {
            throw new ConfigException(List.of("(file): not valid YAML: " + e.getMessage()));
        }
        if (root.isNull() || !root.isObject()) {
            throw new ConfigException(List.of("(file): expected a mapping with at least 'jobs'"));
        }
        checkKeys(root, "", TOP_KEYS);
        Duration defaultStop = duration(root, "stopTimeout", "stopTimeout", JobSpec.DEFAULT_STOP_TIMEOUT);
        List<JobSpec> jobs = new ArrayList<>();
        Set<String> declared = new LinkedHashSet<>();
        YamlNode jobsNode = root.get("jobs");
        if (jobsNode == null || jobsNode.isNull()) {
            problems.add("jobs: missing (a list of jobs, each with at least name and exec)");
        } else if (!jobsNode.isArray()) {
            problems.add("jobs: expected a list, got " + describe(jobsNode));
        } else {
            for (int i = 0; i < jobsNode.size(); i++) {
                YamlNode j = jobsNode.get(i);
                String name = j.isObject() && j.path("name").isTextual() ? str(j.get("name"), "jobs[" + i + "].name") : null;
                if (name != null && !declared.add(name)) {
                    problems.add("jobs[" + name + "].name: duplicate job name '" + name + "'");
                }
                JobSpec spec = job(j, i, name, defaultStop);
                if (spec != null) {
                    jobs.add(spec);
                }
            }
        }
        String main = optStr(root, "main", "main");
        java.nio.file.Path socket = null;
        YamlNode control = root.get("control");
        if (control != null && object(control, "control")) {
            checkKeys(control, "control.", Set.of("socket"));
            String s = optStr(control, "socket", "control.socket");
            socket = s == null ? null : Path.of(s);
        }
        MetricsConfig metrics = metrics(root.get("metrics"));
        SupervisorConfig config = new SupervisorConfig(jobs, main, socket, metrics);
        // Cross-job checks run even when some jobs were invalid (against every declared name), so one
        // run lists everything.
        problems.addAll(ConfigChecks.problems(config, declared, builtinChecks, env));
        if (!problems.isEmpty()) {
            throw new ConfigException(List.copyOf(new LinkedHashSet<>(problems)));
        }
        return config;
    }

    private JobSpec job(YamlNode j, int index, String name, Duration defaultStop) {
        String p = "jobs[" + (name != null ? name : String.valueOf(index)) + "]";
        if (!object(j, p)) {
            return null;
        }
        int before = problems.size();
        checkKeys(j, p + ".", JOB_KEYS);
        if (name == null) {
            problems.add(p + ".name: " + (j.has("name") ? "expected a string, got " + describe(j.get("name")) : "missing"));
        } else if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
            problems.add(p + ".name: '" + name + "' is not a valid name (letters, digits, '.', '_', '-')");
        }
        List<String> exec = argv(j.get("exec"), p + ".exec", true);
        Map<String, String> jobEnv = stringMap(j.get("env"), p + ".env");
        String workdir = optStr(j, "workdir", p + ".workdir");
        if (workdir != null && !Files.isDirectory(Path.of(workdir))) {
            problems.add(p + ".workdir: directory '" + workdir + "' does not exist");
        }
        String user = optStr(j, "user", p + ".user");
        When when = when(j.get("when"), p + ".when");
        RestartPolicy restart = restart(j.get("restart"), p + ".restart");
        Duration timeout = duration(j, "timeout", p + ".timeout", null);
        Duration stopTimeout = duration(j, "stopTimeout", p + ".stopTimeout", defaultStop);
        String stopSignal = signal(optStr(j, "stopSignal", p + ".stopSignal"), p + ".stopSignal", "SIGTERM");
        Set<String> forward = new LinkedHashSet<>();
        List<String> fw = argv(j.get("forwardSignals"), p + ".forwardSignals", false);
        for (int i = 0; fw != null && i < fw.size(); i++) {
            String s = signal(fw.get(i), p + ".forwardSignals[" + i + "]", null);
            if (s != null && (s.equals("SIGKILL") || s.equals("SIGSTOP") || s.equals("SIGQUIT"))) {
                problems.add(p + ".forwardSignals[" + i + "]: " + s + " cannot be caught by the supervisor"
                        + " (forwardable: SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGUSR2)");
            } else if (s != null) {
                forward.add(s);
            }
        }
        HealthSpec health = health(j.get("health"), p + ".health");
        if (problems.size() > before || exec == null) {
            // The spec is not built, so ConfigChecks will not see it: report missing programs here.
            Path wd = workdir == null ? null : Path.of(workdir);
            if (exec != null && !exec.isEmpty()) {
                ConfigChecks.program(exec.getFirst(), wd, jobEnv, env).ifPresent(m -> problems.add(p + ".exec[0]: " + m));
            }
            return null;
        }
        return new JobSpec(name, exec, jobEnv, workdir == null ? null : Path.of(workdir), user, when, restart,
                timeout, stopTimeout, stopSignal, forward, health);
    }

    private When when(YamlNode n, String p) {
        if (n == null || n.isNull()) {
            return When.atStartup();
        }
        if (!object(n, p)) {
            return When.atStartup();
        }
        checkKeys(n, p + ".", WHEN_KEYS);
        Duration interval = duration(n, "interval", p + ".interval", null);
        String source = optStr(n, "source", p + ".source");
        String once = optStr(n, "once", p + ".once");
        String each = optStr(n, "each", p + ".each");
        if (interval != null) {
            if (source != null || once != null || each != null) {
                problems.add(p + ": use either interval, or source with once/each, not both");
            }
            if (interval.isZero()) {
                problems.add(p + ".interval: must be greater than 0");
                return When.atStartup();
            }
            return When.every(interval);
        }
        if (source == null && once == null && each == null) {
            return When.atStartup();
        }
        if (source == null) {
            problems.add(p + ".source: missing (the job, signal or 'supervisor' whose event starts this job)");
            return When.atStartup();
        }
        if ((once == null) == (each == null)) {
            problems.add(p + ": give exactly one of once or each (an event kind: " + EventKind.configNames() + ")");
            return When.atStartup();
        }
        String kindName = once != null ? once : each;
        var kind = EventKind.fromConfigName(kindName);
        if (kind.isEmpty()) {
            problems.add(p + (once != null ? ".once" : ".each") + ": unknown event kind '" + kindName
                    + "' (known: " + EventKind.configNames() + ")");
            return When.atStartup();
        }
        return new When.OnEvent(source, kind.get(), once != null);
    }

    private RestartPolicy restart(YamlNode n, String p) {
        RestartPolicy d = RestartPolicy.never();
        if (n == null || n.isNull()) {
            return d;
        }
        if (n.isTextual()) {
            return new RestartPolicy(mode(str(n, p), p), RestartPolicy.UNLIMITED, d.backoff(), d.maxBackoff(), d.resetAfter());
        }
        if (!object(n, p)) {
            return d;
        }
        checkKeys(n, p + ".", RESTART_KEYS);
        String policy = optStr(n, "policy", p + ".policy");
        RestartPolicy.Mode mode = policy == null ? RestartPolicy.Mode.ON_FAILURE : mode(policy, p + ".policy");
        int limit = RestartPolicy.UNLIMITED;
        YamlNode l = n.get("limit");
        if (l != null && !(l.isTextual() && interpolate(l.asText(), p + ".limit").equals("unlimited"))) {
            limit = integer(n, "limit", p + ".limit", 0);
            if (limit < 0) {
                problems.add(p + ".limit: must be >= 0 or 'unlimited', got " + limit);
                limit = 0;
            }
        }
        Duration backoff = duration(n, "backoff", p + ".backoff", d.backoff());
        Duration max = duration(n, "maxBackoff", p + ".maxBackoff", d.maxBackoff().compareTo(backoff) < 0 ? backoff : d.maxBackoff());
        if (max.compareTo(backoff) < 0) {
            problems.add(p + ".maxBackoff: " + Durations.format(max) + " is shorter than backoff " + Durations.format(backoff));
        }
        Duration reset = duration(n, "resetAfter", p + ".resetAfter", d.resetAfter());
        return new RestartPolicy(mode, limit, backoff, max, reset);
    }

    private RestartPolicy.Mode mode(String s, String p) {
        for (RestartPolicy.Mode m : RestartPolicy.Mode.values()) {
            if (m.configName().equals(s)) {
                return m;
            }
        }
        problems.add(p + ": unknown restart policy '" + s + "' (use never, on-failure or always)");
        return RestartPolicy.Mode.NEVER;
    }

    private HealthSpec health(YamlNode n, String p) {
        if (n == null || n.isNull() || !object(n, p)) {
            return null;
        }
        checkKeys(n, p + ".", HEALTH_KEYS);
        List<String> exec = n.has("exec") ? argv(n.get("exec"), p + ".exec", true) : null;
        String builtin = optStr(n, "builtin", p + ".builtin");
        Duration interval = duration(n, "interval", p + ".interval", Duration.ofSeconds(10));
        Duration timeout = duration(n, "timeout", p + ".timeout", interval);
        int failures = integer(n, "failures", p + ".failures", 3);
        int successes = integer(n, "successes", p + ".successes", 1);
        if (interval.isZero()) {
            problems.add(p + ".interval: must be greater than 0");
        }
        if (timeout.isZero()) {
            problems.add(p + ".timeout: must be greater than 0");
        }
        if (failures < 1) {
            problems.add(p + ".failures: must be at least 1, got " + failures);
        }
        if (successes < 1) {
            problems.add(p + ".successes: must be at least 1, got " + successes);
        }
        if (n.has("exec") == (builtin != null)) {
            problems.add(p + (builtin == null
                    ? ": give exec (a command) or builtin (one of: " + known(builtinChecks) + ")"
                    : ": give either exec or builtin, not both"));
            return null;
        }
        if (builtin != null && !builtinChecks.contains(builtin)) {
            problems.add(p + ".builtin: unknown built-in check '" + builtin + "' (available: " + known(builtinChecks) + ")");
            return null;
        }
        if (interval.isZero() || timeout.isZero() || failures < 1 || successes < 1) {
            return null;
        }
        HealthSpec.Probe probe = builtin != null ? new HealthSpec.Builtin(builtin)
                : exec == null ? null : new HealthSpec.Command(exec);
        return probe == null ? null : new HealthSpec(probe, interval, timeout, failures, successes);
    }

    private MetricsConfig metrics(YamlNode n) {
        if (n == null || n.isNull() || !object(n, "metrics")) {
            return null;
        }
        checkKeys(n, "metrics.", Set.of("listen", "path"));
        String listen = optStr(n, "listen", "metrics.listen");
        String path = optStr(n, "path", "metrics.path");
        if (path != null && !path.startsWith("/")) {
            problems.add("metrics.path: must start with '/', got '" + path + "'");
        }
        if (listen == null) {
            problems.add("metrics.listen: missing (host:port, e.g. 127.0.0.1:9090)");
            return null;
        }
        int colon = listen.lastIndexOf(':');
        try {
            int port = Integer.parseInt(listen.substring(colon + 1));
            if (colon <= 0 || port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return new MetricsConfig(listen.substring(0, colon), port, path == null ? "/metrics" : path);
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            problems.add("metrics.listen: expected host:port (e.g. 127.0.0.1:9090), got '" + listen + "'");
            return null;
        }
    }

    // ---- typed accessors: each reports its own problem and returns a harmless default ----

    private String signal(String s, String p, String dflt) {
        if (s == null) {
            return dflt;
        }
        String n = s.toUpperCase(Locale.ROOT);
        n = n.startsWith("SIG") ? n : "SIG" + n;
        if (Posix.signalNumber(n).isEmpty()) {
            problems.add(p + ": unknown signal '" + s + "' (use one of " + known(Posix.SIGNALS.keySet()) + ")");
            return dflt;
        }
        return n;
    }

    private List<String> argv(YamlNode n, String p, boolean required) {
        if (n == null || n.isNull()) {
            if (required) {
                problems.add(p + ": missing (the program and its arguments, e.g. [\"/usr/bin/env\", \"true\"])");
            }
            return required ? null : List.of();
        }
        if (n.isTextual()) {
            String s = interpolate(n.asText(), p).strip();
            if (s.isEmpty()) {
                problems.add(p + ": empty");
                return null;
            }
            return Arrays.asList(s.split("\\s+"));
        }
        if (!n.isArray() || n.isEmpty()) {
            problems.add(p + ": expected a non-empty list of strings, got " + describe(n));
            return null;
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            YamlNode e = n.get(i);
            if (e.isValueNode() && !e.isNull()) {
                out.add(interpolate(e.asText(), p + "[" + i + "]"));
            } else {
                problems.add(p + "[" + i + "]: expected a string, got " + describe(e));
            }
        }
        return out;
    }

    private Map<String, String> stringMap(YamlNode n, String p) {
        Map<String, String> out = new LinkedHashMap<>();
        if (n == null || n.isNull() || !object(n, p)) {
            return out;
        }
        n.properties().forEach(e -> {
            if (!e.getKey().matches("[A-Za-z_][A-Za-z0-9_]*")) {
                problems.add(p + "." + e.getKey() + ": not a valid environment variable name");
            } else if (e.getValue().isValueNode() && !e.getValue().isNull()) {
                out.put(e.getKey(), interpolate(e.getValue().asText(), p + "." + e.getKey()));
            } else {
                problems.add(p + "." + e.getKey() + ": expected a string, got " + describe(e.getValue()));
            }
        });
        return out;
    }

    private Duration duration(YamlNode parent, String key, String p, Duration dflt) {
        YamlNode n = parent.get(key);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isTextual() && !n.isNumber()) {
            problems.add(p + ": expected a duration such as 500ms, 5s or 1m, got " + describe(n));
            return dflt == null ? Duration.ZERO : dflt;
        }
        String s = interpolate(n.asText(), p);
        try {
            return Durations.read(s);
        } catch (IllegalArgumentException e) {
            problems.add(p + ": " + e.getMessage());
            return dflt == null ? Duration.ZERO : dflt;
        }
    }

    private int integer(YamlNode parent, String key, String p, int dflt) {
        YamlNode n = parent.get(key);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (n.isInt()) {
            return n.asInt();
        }
        if (n.isTextual()) {
            String s = interpolate(n.asText(), p);
            try {
                return Integer.parseInt(s.strip());
            } catch (NumberFormatException e) {
                problems.add(p + ": expected an integer, got '" + s + "'");
                return dflt;
            }
        }
        problems.add(p + ": expected an integer, got " + describe(n));
        return dflt;
    }

    private String optStr(YamlNode parent, String key, String p) {
        YamlNode n = parent.get(key);
        return n == null || n.isNull() ? null : str(n, p);
    }

    private String str(YamlNode n, String p) {
        if (n.isTextual() || n.isNumber() || n.isBoolean()) {
            return interpolate(n.asText(), p);
        }
        problems.add(p + ": expected a string, got " + describe(n));
        return null;
    }

    private String interpolate(String s, String p) {
        return interpolation.apply(s, p, problems);
    }

    private boolean object(YamlNode n, String p) {
        if (n.isObject()) {
            return true;
        }
        problems.add(p + ": expected a mapping, got " + describe(n));
        return false;
    }

    private void checkKeys(YamlNode n, String prefix, Set<String> known) {
        n.properties().forEach(e -> {
            if (!known.contains(e.getKey())) {
                problems.add(prefix + e.getKey() + ": unknown key (known keys: " + String.join(", ", known) + ")");
            }
        });
    }

    private static String describe(YamlNode n) {
        if (n.isObject()) {
            return "a mapping";
        }
        if (n.isArray()) {
            return "a list";
        }
        if (n.isNull()) {
            return "nothing";
        }
        return (n.isNumber() ? "number " : n.isBoolean() ? "boolean " : "") + "'" + n.asText() + "'";
    }

    private static String known(Set<String> names) {
        return names.isEmpty() ? "none registered" : String.join(", ", new java.util.TreeSet<>(names));
    }

    private static Set<String> ordered(String... keys) {
        return new LinkedHashSet<>(List.of(keys));
    }
}
