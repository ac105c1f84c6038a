package dev.autopilot.backup.snapshot;

import dev.autopilot.supervisor.process.ChildEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Tools connected stdout to stdin by the OS ({@link ProcessBuilder#startPipeline}: no copy through this JVM),
 * each one's stderr logged with a tag and its last lines kept. {@link #output()} is the last tool's stdout and
 * reports a failure of ANY tool at its end instead of a clean end of stream, so a consumer such as
 * {@code SnapshotStore.put} never completes an object from a backup that failed halfway. Closing kills them all.
 */
public final class ToolPipeline implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ToolPipeline.class);
    private static final int KEPT_LINES = 15;

    private final List<String> tags;
    private final List<Process> processes;
    private final List<Thread> pumps = new ArrayList<>();
    private final List<Deque<String>> tails = new ArrayList<>();
    private final InputStream output;

    private ToolPipeline(List<String> tags, List<Process> processes, Consumer<String> stderrWatcher) {
        this.tags = tags;
        this.processes = processes;
        for (int i = 0; i < processes.size(); i++) {
            Deque<String> tail = new ArrayDeque<>();
            tails.add(tail);
            Process p = processes.get(i);
            String tag = tags.get(i);
            pumps.add(Thread.ofVirtual().name(tag + "-stderr").start(() -> pump(tag, p, tail, stderrWatcher)));
        }
        this.output = new CheckedEnd(processes.getLast().getInputStream());
    }

    /**
     * Starts the commands as one pipeline in {@code workDir}. {@code stderrWatcher} sees every stderr line.
     * Secrets must not be in the commands (they show in {@code ps}).
     */
    public static ToolPipeline start(Path workDir, Map<String, List<String>> taggedCommands, Map<String, String> env,
                              Consumer<String> stderrWatcher) throws IOException {
        List<ProcessBuilder> builders = new ArrayList<>();
        List<String> tags = new ArrayList<>();
        taggedCommands.forEach((tag, command) -> {
            ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile());
            ChildEnvironment.scrub(pb.environment()); // the agent's secrets stay with the agent; env adds what a tool needs
            pb.environment().putAll(env);
            builders.add(pb);
            tags.add(tag);
            log.info("[{}] starting: {}", tag, String.join(" ", command));
        });
        return new ToolPipeline(List.copyOf(tags), ProcessBuilder.startPipeline(builders), stderrWatcher);
    }

    /** The last tool's stdout; throws at its end if any tool exited non-zero. */
    public InputStream output() {
        return output;
    }

    /** The first tool's stdin (for a pipeline fed by the caller). */
    public java.io.OutputStream input() {
        return processes.getFirst().getOutputStream();
    }

    /** Waits for every tool; empty when all exited 0, else why the first failing one failed. */
    public java.util.Optional<String> awaitFailure() throws InterruptedException {
        String failure = null;
        for (int i = 0; i < processes.size(); i++) {
            int code = processes.get(i).waitFor();
            pumps.get(i).join(TimeUnit.SECONDS.toMillis(5));
            if (code != 0 && failure == null) {
                synchronized (tails.get(i)) {
                    failure = tags.get(i) + " exited with code " + code + "; its last output:\n" + String.join("\n", tails.get(i));
                }
            }
        }
        return java.util.Optional.ofNullable(failure);
    }

    @Override
    public void close() {
        for (int i = 0; i < processes.size(); i++) {
            Process p = processes.get(i);
            if (p.isAlive()) {
                log.warn("[{}] stopping it (pid {}): the run it served was abandoned", tags.get(i), p.pid());
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        }
        for (Process p : processes) {
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void pump(String tag, Process p, Deque<String> tail, Consumer<String> watcher) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                log.info("[{}] {}", tag, line);
                watcher.accept(line);
                synchronized (tail) {
                    if (tail.size() == KEPT_LINES) {
                        tail.removeFirst();
                    }
                    tail.addLast(line);
                }
            }
        } catch (IOException e) {
            log.debug("[{}] stderr closed: {}", tag, e.toString());
        }
    }

    /** Turns a clean end of the last tool's output into an exception when any tool failed. */
    private final class CheckedEnd extends FilterInputStream {
        private boolean checked;

        CheckedEnd(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n < 0 && !checked) {
                try {
                    java.util.Optional<String> failure = awaitFailure();
                    if (failure.isPresent()) {
                        throw new IOException(failure.get());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted waiting for " + tags + " to exit");
                }
                checked = true;
            }
            return n;
        }
    }
}
