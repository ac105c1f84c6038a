package dev.autopilot.supervisor.process;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The pids of processes this JVM started through {@link ProcessBuilder} and has not yet seen exit.
 * The {@link OrphanReaper} never reaps these: the JVM's own process reaper collects their exit status.
 * Embedders that start processes themselves while the reaper runs should {@link #register(Process)} them.
 */
public final class ChildProcesses {
    private final Set<Long> pids = ConcurrentHashMap.newKeySet();

    /** Remembers {@code p} until the JVM has collected its exit status. */
    public Process register(Process p) {
        long pid = p.pid();
        pids.add(pid);
        p.onExit().whenComplete((x, e) -> pids.remove(pid));
        return p;
    }

    public boolean contains(long pid) {
        return pids.contains(pid);
    }
}
