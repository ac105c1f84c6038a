package dev.autopilot.cli.local;

import dev.autopilot.cli.CommandFailure;
import dev.autopilot.supervisor.process.Posix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starts the local cluster's processes detached from the CLI ({@code setsid}, output to a log file, no
 * terminal), so {@code local up --detach} can return and {@code local down} can stop them from another shell;
 * and signals a process with its whole tree (an agent and the mariadbd it supervises).
 */
final class LocalProcesses {
    private static final int SIGTERM = 15;
    private static final int SIGSTOP = 19;
    private static final int SIGCONT = 18;

    private LocalProcesses() {}

    /** Starts {@code command} in a new session with a clean {@code AUTOPILOT_*} environment, logging to {@code log}. */
    static LocalState.LocalProcess spawn(String name, List<String> command, Path log, Map<String, String> extraEnv) {
        List<String> cmd = new ArrayList<>();
        cmd.add("setsid");
        cmd.addAll(command);
        try {
            Files.createDirectories(log.getParent());
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            // The configuration file is the whole truth: the caller's AUTOPILOT_* settings must not override it.
            pb.environment().keySet().removeIf(k -> k.startsWith("AUTOPILOT_") && !k.equals("AUTOPILOT_LOG_LEVEL"));
            pb.environment().putAll(extraEnv);
            Process p = pb.start();
            long started = p.info().startInstant().map(Instant::toEpochMilli).orElse(System.currentTimeMillis());
            return new LocalState.LocalProcess(name, p.pid(), started);
        } catch (IOException e) {
            throw CommandFailure.failed("cannot start " + name + " (" + String.join(" ", command.subList(0, 1)) + "): " + e.getMessage());
        }
    }

    /** SIGKILL of the process and everything under it (a node crash). */
    static void crash(ProcessHandle h) {
        List<ProcessHandle> tree = h.descendants().toList();
        h.destroyForcibly();
        tree.forEach(ProcessHandle::destroyForcibly);
        awaitExit(h, Duration.ofSeconds(10));
        tree.forEach(d -> awaitExit(d, Duration.ofSeconds(10)));
    }

    /** SIGTERM, then SIGKILL of the whole tree after {@code grace}. */
    static void stop(ProcessHandle h, Duration grace) {
        List<ProcessHandle> tree = h.descendants().toList();
        Posix.kill((int) h.pid(), SIGTERM);
        if (!awaitExit(h, grace)) {
            crash(h);
        }
        tree.stream().filter(ProcessHandle::isAlive).forEach(LocalProcesses::crash);
    }

    /** SIGSTOP of the process and its tree: it stops answering, as a partitioned node would. */
    static List<ProcessHandle> freeze(ProcessHandle h) {
        List<ProcessHandle> all = new ArrayList<>();
        all.add(h);
        all.addAll(h.descendants().toList());
        all.forEach(p -> Posix.kill((int) p.pid(), SIGSTOP));
        return all;
    }

    /** SIGCONT, children first so the agent wakes to a running database. */
    static void thaw(List<ProcessHandle> frozen) {
        frozen.reversed().forEach(p -> Posix.kill((int) p.pid(), SIGCONT));
    }

    static boolean awaitExit(ProcessHandle h, Duration timeout) {
        try {
            h.onExit().get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            return !h.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !h.isAlive();
        }
    }
}
