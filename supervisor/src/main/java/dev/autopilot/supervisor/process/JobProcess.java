package dev.autopilot.supervisor.process;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One running process of a job, leader of its own process group.
 *
 * <p>Why {@code setsid}: Java cannot run code between fork and exec, so the child cannot call
 * {@code setsid()}/{@code setpgid()} itself. util-linux {@code setsid} does it and then execs the
 * program in the same process (it forks only when already a group leader, which a JVM child never is;
 * {@code -w} makes it wait in that case so the exit status still reaches us). So the pid Java sees is
 * the program's pid and also its process-group id, and stopping the job signals the whole group,
 * including grandchildren that shells leave behind.
 */
public final class JobProcess {
    private static final Path SETSID = find("setsid");
    private static final Path SETPRIV = find("setpriv");

    private final Process process;
    private final long pid;

    private JobProcess(Process process) {
        this.process = process;
        this.pid = process.pid();
    }

    /**
     * Starts {@code argv} in a new session and process group, forwarding its output line by line. The child
     * inherits the agent's environment without its secrets ({@link ChildEnvironment}), plus {@code env}.
     *
     * @param user run as this user (via util-linux {@code setpriv}), or {@code null}
     */
    public static JobProcess start(String tag, List<String> argv, Map<String, String> env, Path workdir, String user,
                                   JobOutput output, ChildProcesses children) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(SETSID.toString(), "-w"));
        if (user != null) {
            cmd.addAll(List.of(SETPRIV.toString(), "--reuid=" + user, "--regid=" + primaryGroup(user),
                    "--init-groups", "--"));
        }
        cmd.addAll(argv);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        ChildEnvironment.scrub(pb.environment());
        pb.environment().putAll(env);
        if (workdir != null) {
            pb.directory(workdir.toFile());
        }
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = children.register(pb.start());
        forward(tag, p.getInputStream(), false, output);
        forward(tag, p.getErrorStream(), true, output);
        return new JobProcess(p);
    }

    public long pid() {
        return pid;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Completes with the exit status (128 + signal number when killed by a signal). */
    public CompletableFuture<Integer> onExit() {
        return process.onExit().thenApply(Process::exitValue);
    }

    /** Sends {@code signal} to the job's process group. */
    public boolean signal(int signal) {
        if (process.isAlive()) {
            return Posix.killGroup(pid, signal);
        }
        // The leader is gone (its pid may be reused): only the group, never the pid itself.
        return Posix.kill((int) -pid, signal) == 0;
    }

    /**
     * Stops the job: {@code signal} to the group, wait up to {@code timeout} for the process to exit,
     * then SIGKILL to the whole group. Leftover group members are killed either way.
     *
     * @return how it ended
     */
    public StopOutcome stop(int signal, Duration timeout) throws InterruptedException {
        signal(signal);
        boolean killed = false;
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            killed = true;
            Posix.killGroup(pid, Posix.SIGKILL);
            process.waitFor(5, TimeUnit.SECONDS);
        }
        Posix.kill((int) -pid, Posix.SIGKILL); // stragglers left in the group
        try {
            return new StopOutcome(process.onExit().thenApply(Process::exitValue).get(5, TimeUnit.SECONDS), killed);
        } catch (ExecutionException | TimeoutException e) {
            return new StopOutcome(-1, killed);
        }
    }

    /**
     * @param status exit status of the job's process (-1 if unknown)
     * @param killed whether SIGKILL was needed because the stop timeout ran out
     */
    public record StopOutcome(int status, boolean killed) {}

    private static void forward(String tag, InputStream in, boolean stderr, JobOutput output) {
        Thread.ofVirtual().name("output-" + tag + (stderr ? "-err" : "-out")).start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    output.line(tag, stderr, line);
                }
            } catch (IOException | UncheckedIOException e) {
                // The stream closes when the process group is gone; nothing left to forward.
            }
        });
    }

    private static String primaryGroup(String user) throws IOException {
        for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
            String[] f = line.split(":");
            if (f.length > 3 && (f[0].equals(user) || f[2].equals(user))) {
                return f[3];
            }
        }
        throw new IOException("no such user '" + user + "' in /etc/passwd");
    }

    private static Path find(String program) {
        for (String dir : List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin")) {
            Path p = Path.of(dir, program);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return Path.of(program); // let the start fail with the JDK's "cannot run program" message
    }
}
