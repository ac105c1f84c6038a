package dev.autopilot.agent.lifecycle;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's {@link AgentState}, changed by compare-and-set so that two threads (the rebuild, a graceful stop) can
 * never both believe they moved it. Each change is logged once and published as the gauge
 * {@code autopilot_agent_state{state=...}} (1 for the current state), so {@code GET /metrics} shows it.
 */
public final class AgentLifecycle {
    private static final Logger LOG = LoggerFactory.getLogger(AgentLifecycle.class);

    private final String member;
    private final AtomicReference<AgentState> state = new AtomicReference<>(AgentState.STARTING);
    private final List<Consumer<AgentState>> listeners = new CopyOnWriteArrayList<>();

    public AgentLifecycle(String member, MeterRegistry metrics) {
        this.member = member;
        for (AgentState s : AgentState.values()) {
            Gauge.builder("autopilot_agent_state", state, current -> current.get() == s ? 1 : 0)
                    .tag("state", s.name()).description("1 for the agent's current lifecycle state").register(metrics);
        }
    }

    public AgentState state() {
        return state.get();
    }

    /** Called with every new state, on the thread that changed it. */
    public void onChange(Consumer<AgentState> listener) {
        listeners.add(listener);
    }

    /**
     * Moves from {@code from} to {@code to}; false (and no change) when the state is no longer {@code from}.
     *
     * @throws IllegalStateException when {@code from} may not change to {@code to} (a programming error)
     */
    public boolean move(AgentState from, AgentState to) {
        if (!from.next().contains(to)) {
            throw new IllegalStateException("agent " + member + ": no transition from " + from + " to " + to);
        }
        if (!state.compareAndSet(from, to)) {
            return false;
        }
        LOG.info("{}: agent {} -> {}", member, from, to);
        listeners.forEach(l -> l.accept(to));
        return true;
    }

    /** Moves to {@code to} from whatever the state is, if allowed from there; returns the state it left. */
    public AgentState moveFromAny(AgentState to) {
        while (true) {
            AgentState from = state.get();
            if (from == to || !from.next().contains(to)) {
                return from;
            }
            if (move(from, to)) {
                return from;
            }
        }
    }
}
