package dev.autopilot.agent;

import dev.autopilot.agent.api.AgentControl;
import dev.autopilot.agent.cluster.ClusterStore;
import dev.autopilot.agent.cluster.ClusterView;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.agent.cluster.Role;
import dev.autopilot.agent.cluster.SwitchoverRequest;
import dev.autopilot.agent.ha.HaLoop;
import dev.autopilot.agent.ha.Outcome;
import dev.autopilot.agent.history.EventKind;
import dev.autopilot.agent.history.History;
import dev.autopilot.agent.history.HistoryEvent;
import dev.autopilot.agent.history.HistoryLog;
import dev.autopilot.coordination.CoordinationException;
import dev.autopilot.coordination.LeaderLock;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the REST API reads from this agent and what operators ask of the cluster through it (switchover, failover,
 * pause). The API answers from the first moment of the start, so the store and the HA loop are attached when they
 * exist; until then reads are empty and requests are refused with a reason.
 */
final class OperatorActions implements AgentControl {
    private final String name;
    private final PrometheusMeterRegistry metrics;
    private volatile ClusterStore cluster;
    private volatile LeaderLock lock;
    private volatile History history = History.NONE;
    private volatile HistoryLog historyLog;
    private volatile HaLoop loop;

    OperatorActions(String name, PrometheusMeterRegistry metrics) {
        this.name = name;
        this.metrics = metrics;
    }

    /** The store is open: requests can be written. */
    void attach(ClusterStore cluster, LeaderLock lock, History history) {
        this.cluster = cluster;
        this.lock = lock;
        this.history = history;
        this.historyLog = new HistoryLog(cluster.coordinator());
    }

    /** The HA loop runs: reads come from its latest cycle. */
    void attach(HaLoop loop) {
        this.loop = loop;
    }

    @Override
    public String memberName() {
        return name;
    }

    @Override
    public PrometheusMeterRegistry metrics() {
        return metrics;
    }

    @Override
    public Optional<MemberRecord> self() {
        return Optional.ofNullable(loop).map(HaLoop::lastRecord);
    }

    @Override
    public Optional<ClusterView> cluster() {
        return Optional.ofNullable(loop).map(HaLoop::lastView);
    }

    @Override
    public Optional<ClusterView> currentCluster() {
        ClusterStore c = cluster;
        if (c == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(c.read());
        } catch (CoordinationException e) {
            return Optional.empty();
        }
    }

    @Override
    public boolean holdsLock() {
        LeaderLock l = lock;
        return l != null && (l.isHeld() || Optional.ofNullable(loop).map(h -> h.cycle().leadsUnderFailsafe()).orElse(false));
    }

    @Override
    public String confirmFailsafe(String primary, Duration window) {
        HaLoop l = loop;
        if (l == null) {
            throw new IllegalStateException("this member is not running its HA loop yet");
        }
        return l.cycle().confirmFailsafe(primary, window);
    }

    @Override
    public boolean writesOpen() {
        HaLoop l = loop;
        return l != null && l.cycle().writesOpen();
    }

    @Override
    public Optional<Outcome> lastOutcome() {
        return Optional.ofNullable(loop).map(HaLoop::lastOutcome);
    }

    @Override
    public String switchover(Optional<String> target) {
        ClusterStore store = store();
        ClusterView view = store.read();
        String primary = view.leader().orElseThrow(() -> new IllegalStateException("the cluster has no primary to switch over from"));
        refuseWhilePaused(view, "switchover");
        if (target.isPresent()) {
            MemberRecord t = view.member(target.get()).orElseThrow(() -> new IllegalStateException("no member named " + target.get()));
            if (t.name().equals(primary)) {
                throw new IllegalStateException(t.name() + " is already the primary");
            }
            if (!t.healthy() || t.role() != Role.REPLICA) {
                throw new IllegalStateException(t.name() + " is not a healthy replica (state " + t.state() + ", role " + t.role() + ")");
            }
        }
        store.requestSwitchover(new SwitchoverRequest(primary, target.orElse(""), System.currentTimeMillis(), ""));
        String requested = "switchover requested: " + primary + " hands over to " + target.orElse("the best replica");
        history.record(EventKind.SWITCHOVER_REQUESTED, requested + " (asked through " + name + ")",
                Map.of("from", primary, "to", target.orElse("")));
        return requested;
    }

    /**
     * A paused cluster elects nobody, so a hand-over would leave it without a primary (the old one steps down, no one
     * takes the lock) until the request timed out.
     */
    private static void refuseWhilePaused(ClusterView view, String action) {
        if (view.paused()) {
            throw new IllegalStateException("the cluster is paused (maintenance): no member takes the lock while it is, so a "
                    + action + " would leave it without a primary; run 'autopilot resume' first");
        }
    }

    @Override
    public String failover(String target, boolean force) {
        ClusterStore store = store();
        ClusterView view = store.read();
        MemberRecord t = view.member(target).orElseThrow(() -> new IllegalStateException("no member named " + target));
        refuseWhilePaused(view, "failover");
        if (view.leader().isPresent() && !force) {
            throw new IllegalStateException(view.leader().get() + " is a live primary; use switchover, or --force to fail over anyway");
        }
        if (!t.promotable()) {
            throw new IllegalStateException(target + " cannot be promoted: its database is down or its applier failed");
        }
        store.coordinator().delete(ClusterStore.LAST_PROMOTION);
        store.requestSwitchover(new SwitchoverRequest(view.leader().orElse(""), target, System.currentTimeMillis(), ""));
        history.record(EventKind.FAILOVER_FORCED, "failover to " + target + " requested by an operator (asked through " + name + ")",
                Map.of("to", target, "from", view.leader().orElse(""), "force", force));
        return "failover requested: " + target + " becomes primary" + view.leader().map(l -> " (" + l + " steps down)").orElse("");
    }

    @Override
    public void pause(boolean paused) {
        store().setPaused(paused);
        history.record(paused ? EventKind.PAUSED : EventKind.RESUMED, paused
                ? "automatic failover paused by an operator (asked through " + name + ")"
                : "automatic failover resumed by an operator (asked through " + name + ")");
    }

    @Override
    public List<HistoryEvent> history(long sinceMillis, Optional<String> member) {
        store();
        return historyLog.read(sinceMillis, member);
    }

    private ClusterStore store() {
        ClusterStore c = cluster;
        if (c == null) {
            throw new IllegalStateException(name + " is still starting (its coordination store is not open yet); ask again shortly");
        }
        return c;
    }
}
