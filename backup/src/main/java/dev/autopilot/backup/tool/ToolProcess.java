package dev.autopilot.backup.tool;

import dev.autopilot.supervisor.process.ChildEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One run of a backup tool ({@code mariabackup}): its stderr goes to the log line by
 * line, tagged, and the last lines are kept so a failure can say why. Closing it kills the process tree
 * if it is still running, so an abandoned transfer never leaves a backup (and its locks) behind.
 */
public final class ToolProcess implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ToolProcess.class);
    private static final int KEPT_LINES = 15;

    private final String tag;
    private final Process process;
    private final Deque<String> lastLines = new ArrayDeque<>();
    private final Thread stderrPump;

    private ToolProcess(String tag, Process process) {
        this.tag = tag;
        this.process = process;
        this.stderrPump = Thread.ofVirtual().name(tag + "-stderr").start(this::pumpStderr);
    }

    /**
     * Starts {@code command} in {@code workDir}; stdin and stdout are pipes for the caller. Secrets must
     * not be in {@code command} (it shows in {@code ps}): pass them in a private file. The tool inherits the
     * agent's environment without its secrets ({@link ChildEnvironment}).
     */
    public static ToolProcess start(String tag, List<String> command, Path workDir) throws IOException {
        return start(tag, command, workDir, true);
    }

    /** As {@link #start(String, List, Path)}; with {@code pipeStdout} false its stdout is discarded. */
    public static ToolProcess start(String tag, List<String> command, Path workDir, boolean pipeStdout) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile());
        ChildEnvironment.scrub(pb.environment());
        if (!pipeStdout) {
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        }
        log.info("[{}] starting: {}", tag, String.join(" ", command));
        return new ToolProcess(tag, pb.start());
    }

    public InputStream stdout() {
        return process.getInputStream();
    }

    public OutputStream stdin() {
        return process.getOutputStream();
    }

    /** Waits for the exit and for the last stderr line to be read; returns the exit code. */
    public int waitFor() throws InterruptedException {
        int code = process.waitFor();
        stderrPump.join(TimeUnit.SECONDS.toMillis(5));
        return code;
    }

    /** The last stderr lines, for an error message (never holds secrets: the tools print "password: set"). */
    public String stderrTail() {
        synchronized (lastLines) {
            return String.join("\n", lastLines);
        }
    }

    /** Why the tool failed, in one message: exit code plus its last stderr lines. */
    public String failure(int exitCode) {
        return tag + " exited with code " + exitCode + "; its last output:\n" + stderrTail();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            log.warn("[{}] stopping it (pid {}): the transfer it served was abandoned", tag, process.pid());
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void pumpStderr() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                // mariabackup reports every file it copies; operators need the errors and the outcome.
                if (line.contains("ERROR") || line.contains("error") || line.contains("failed") || line.contains("completed OK")) {
                    log.info("[{}] {}", tag, line);
                } else {
                    log.debug("[{}] {}", tag, line);
                }
                synchronized (lastLines) {
                    if (lastLines.size() == KEPT_LINES) {
                        lastLines.removeFirst();
                    }
                    lastLines.addLast(line);
                }
            }
        } catch (IOException e) {
            log.debug("[{}] stderr closed: {}", tag, e.toString());
        }
    }
}
