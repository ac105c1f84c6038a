package dev.autopilot.agent.it;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a container runtime or systemd does for the agent in production: an agent that exits on its own (e.g. the store
 * unreachable at start, a refused start) is started again after a short delay. Members the injector holds down (a node
 * crash in progress) are left alone. Each such exit goes to the history and is counted; an agent that keeps exiting
 * ends up stuck, which {@link Recovery} reports.
 */
final class RestartPolicy implements AutoCloseable {
    private static final long DELAY_MILLIS = 2000;

    private final List<AgentNode> nodes;
    private final FaultHistory history;
    private final Set<String> heldDown = ConcurrentHashMap.newKeySet();
    private final AtomicInteger restarts = new AtomicInteger();
    private final java.util.Map<String, Integer> exits = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean running = true;

    RestartPolicy(List<AgentNode> nodes, FaultHistory history) {
        this.nodes = List.copyOf(nodes);
        this.history = history;
        this.thread = Thread.ofPlatform().name("restart-policy").daemon().start(this::run);
    }

    private void run() {
        while (running) {
            try {
                Thread.sleep(DELAY_MILLIS); // the restart delay
            } catch (InterruptedException e) {
                return;
            }
            for (AgentNode n : nodes) {
                if (running && !heldDown.contains(n.name)) {
                    restartIfExited(n);
                }
            }
        }
    }

    private synchronized void restartIfExited(AgentNode n) {
        if (!n.isRunning() && running) {
            restarts.incrementAndGet();
            exits.merge(n.name, 1, Integer::sum);
            history.event("agent of %s exited on its own (last log line: %s); restarting it", n.name, n.logTail(1).strip());
            n.start();
        }
    }

    /** Keeps the member down (its processes are being killed on purpose) until {@link #start}. */
    void holdDown(AgentNode n) {
        heldDown.add(n.name);
    }

    /** Starts the member's agent unless it runs, and lets the policy restart it again. */
    synchronized void start(AgentNode n) {
        heldDown.remove(n.name);
        if (!n.isRunning()) {
            n.start();
        }
    }

    /** How often the member's agent exited on its own so far. */
    int exits(AgentNode n) {
        return exits.getOrDefault(n.name, 0);
    }

    int restarts() {
        return restarts.get();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join(5000);
    }
}
