package dev.autopilot.supervisor.process;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reaps orphaned zombies re-parented to this process (as PID 1 or child subreaper) without stealing
 * the exit status of processes the JVM started itself.
 *
 * <p>Why not {@code waitpid(-1)}: the JDK's {@link Process} collects each child's status with
 * {@code waitpid(pid)}; if we reaped it first, {@code Process.waitFor()} would report a wrong status.
 * So the reaper first peeks ({@code waitid(P_ALL, WNOWAIT|WNOHANG)}: is any child a zombie?), then lists
 * zombie children in /proc and reaps, by pid, only those that are not in {@link ChildProcesses} and have
 * stayed zombies for a grace period (covering processes started by other code in the JVM, which the
 * JDK reaps within milliseconds).
 */
public final class OrphanReaper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OrphanReaper.class);

    private final ChildProcesses own;
    private final Duration poll;
    private final Duration grace;
    private final Map<Integer, Long> zombieSince = new HashMap<>();
    private volatile Thread thread;

    public OrphanReaper(ChildProcesses own, Duration poll, Duration grace) {
        this.own = own;
        this.poll = poll;
        this.grace = grace;
    }

    /** Makes this process a child subreaper and starts the reaping thread. */
    public void start() {
        Posix.becomeChildSubreaper();
        thread = Thread.ofPlatform().daemon().name("orphan-reaper").start(this::loop);
        LOG.info("reaping orphaned processes (pid {}, child subreaper)", Posix.getpid());
    }

    private void loop() {
        int self = Posix.getpid();
        while (!Thread.currentThread().isInterrupted()) {
            try {
                if (Posix.peekExitedChild() != 0) {
                    reapOrphans(self);
                } else {
                    zombieSince.clear();
                }
                Thread.sleep(poll);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                LOG.warn("orphan reaper: {}; retrying in {}", e.toString(), poll);
            }
        }
    }

    private void reapOrphans(int self) {
        long now = System.nanoTime();
        Set<Integer> zombies = zombieChildren(self);
        zombieSince.keySet().retainAll(zombies);
        for (int pid : zombies) {
            if (own.contains(pid)) {
                continue;
            }
            long since = zombieSince.computeIfAbsent(pid, p -> now);
            if (now - since >= grace.toNanos() && Posix.reap(pid)) {
                zombieSince.remove(pid);
                LOG.info("reaped orphaned process {}", pid);
            }
        }
    }

    private static Set<Integer> zombieChildren(int self) {
        Set<Integer> out = new HashSet<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path d : dirs) {
                try {
                    String stat = Files.readString(d.resolve("stat"));
                    // pid (comm) state ppid ...: comm may contain spaces and parentheses.
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ", 3);
                    if (f[0].equals("Z") && Integer.parseInt(f[1]) == self) {
                        out.add(Integer.parseInt(d.getFileName().toString()));
                    }
                } catch (IOException | RuntimeException e) {
                    // The process went away while we looked.
                }
            }
        } catch (IOException e) {
            LOG.warn("orphan reaper cannot list /proc: {}", e.toString());
        }
        return out;
    }

    @Override
    public void close() {
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
    }
}
