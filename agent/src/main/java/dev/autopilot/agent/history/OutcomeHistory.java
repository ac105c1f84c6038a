package dev.autopilot.agent.history;

import dev.autopilot.agent.cluster.ClusterView;
import dev.autopilot.agent.ha.Outcome;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Turns the HA loop's outcomes into history: an event when the outcome changes kind (fenced, lock released,
 * switchover refused, errant transactions found, store unreachable and back, re-pointed), not every cycle. Members
 * joining and leaving are recorded from the cluster views by one member only — the lock holder, or the first live
 * member by name while no live member holds the lock — so each change is recorded once, not once per member.
 */
public final class OutcomeHistory implements Consumer<Outcome> {
    private final String self;
    private final History history;
    private final Supplier<Optional<ClusterView>> views;
    private Outcome last;
    private Set<String> members;

    /** @param views the cluster as the HA loop last read it */
    public OutcomeHistory(String self, History history, Supplier<Optional<ClusterView>> views) {
        this.self = self;
        this.history = history;
        this.views = views;
    }

    @Override
    public synchronized void accept(Outcome outcome) {
        boolean changed = last == null || !last.getClass().equals(outcome.getClass());
        boolean storeWasDown = last instanceof Outcome.StoreUnreachable || last instanceof Outcome.FailsafeLeading;
        last = outcome;
        if (changed) {
            if (storeWasDown && !(outcome instanceof Outcome.StoreUnreachable) && !(outcome instanceof Outcome.FailsafeLeading)) {
                history.record(EventKind.STORE_BACK, self + " reaches the coordination store again");
            }
            recordChange(outcome);
        }
        if (!(outcome instanceof Outcome.StoreUnreachable)) {
            views.get().ifPresent(this::membership);
        }
    }

    private void recordChange(Outcome outcome) {
        switch (outcome) {
            case Outcome.Fenced f -> history.record(EventKind.FENCED, self + " fenced: read-only, client connections killed",
                    Map.of("reason", f.reason()));
            case Outcome.FenceFailed f -> history.record(EventKind.FENCE_FAILED, self + ": " + f.describe(), Map.of("reason", f.reason()));
            case Outcome.ReleasedLock r -> history.record(EventKind.LOCK_RELEASED, self + " " + r.describe(), Map.of("reason", r.reason()));
            case Outcome.SwitchoverRefused r -> history.record(EventKind.SWITCHOVER_REFUSED, self + ": " + r.describe(),
                    Map.of("reason", r.reason()));
            case Outcome.PromotionAbandoned p -> history.record(EventKind.PROMOTION_ABANDONED, self + ": " + p.describe(),
                    Map.of("reason", p.reason()));
            case Outcome.Diverged d -> history.record(EventKind.ERRANT_FOUND, self + " " + d.describe(),
                    Map.of("primary", d.primary(), "count", d.errantTransactions(), "action", d.action()));
            case Outcome.Repointed r -> history.record(EventKind.REPOINTED, self + " replicates from new primary " + r.primary(),
                    Map.of("primary", r.primary()));
            case Outcome.StoreUnreachable s -> history.record(EventKind.STORE_UNREACHABLE, self + " cannot reach the coordination"
                    + " store; keeping its role", Map.of("detail", s.detail()));
            default -> { }
        }
    }

    private void membership(ClusterView view) {
        Set<String> now = new TreeSet<>(view.members().keySet());
        Set<String> before = members;
        members = now;
        // The lock holder records; while there is none with a record (a dead primary's lock outlives its record by up to
        // a TTL), the first live member by name does.
        boolean recorder = view.leader().filter(now::contains).map(self::equals)
                .orElseGet(() -> !now.isEmpty() && now.iterator().next().equals(self));
        if (before == null || !recorder) {
            return;
        }
        for (String name : now) {
            if (!before.contains(name)) {
                history.record(EventKind.MEMBER_JOINED, name + " joined the cluster", Map.of("joined", name,
                        "address", view.member(name).map(m -> m.address()).orElse("")));
            }
        }
        for (String name : before) {
            if (!now.contains(name)) {
                history.record(EventKind.MEMBER_LEFT, name + " left the cluster (stopped, or its registration expired)",
                        Map.of("left", name));
            }
        }
    }
}
