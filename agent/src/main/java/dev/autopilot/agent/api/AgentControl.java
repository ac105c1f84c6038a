package dev.autopilot.agent.api;

import dev.autopilot.agent.cluster.ClusterView;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.agent.ha.Outcome;
import dev.autopilot.agent.history.HistoryEvent;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.Optional;

/**
 * What the REST API reads from and asks of a running agent. The agent implements it; API tests may use a
 * small stand-in. Reads return the HA loop's latest readings (at most one loop interval old) and never block
 * on the store, except {@link #currentCluster()}; requests write to the store and return once written.
 */
public interface AgentControl {

    /** This member's name. */
    String memberName();

    /** The record this member published last, empty before its first cycle. */
    Optional<MemberRecord> self();

    /** The cluster as the HA loop last read it. */
    Optional<ClusterView> cluster();

    /**
     * The cluster read from the store now, for {@code GET /cluster}: an operator who has just paused the cluster or asked
     * for a switchover must see it in the next {@code status}, not a loop interval later. Empty when the store does
     * not answer (the caller then shows {@link #cluster()}, marked stale). The one read that waits on the store.
     */
    Optional<ClusterView> currentCluster();

    /**
     * Whether this member holds the leader lock right now (by its own lease clock), or leads on failsafe confirmations
     * while its lease is lost ({@code failover.failsafe}).
     */
    boolean holdsLock();

    /**
     * Whether this member's writes are open right now: opened under the leader lock and not closed since. Closed from the
     * moment a fence starts (a step-down, a lost lease) or the server exits, before the HA cycle that did it ends.
     */
    boolean writesOpen();

    /** The last HA cycle's outcome. */
    Optional<Outcome> lastOutcome();

    /** Meters of this agent (supervisor jobs, HA outcomes, ...). */
    PrometheusMeterRegistry metrics();

    /**
     * Asks the primary to hand over to {@code target} (or the best replica when empty). Returns a sentence
     * saying what was requested.
     *
     * @throws IllegalStateException when the cluster has no primary or the target is not a healthy member
     */
    String switchover(Optional<String> target);

    /**
     * Makes {@code target} primary even though the cluster's rules would not (operator's decision, e.g. the
     * primary is gone and the best candidate is tagged nofailover): clears the anti-flapping record and
     * requests the promotion. {@code force} is required when a primary is still alive.
     *
     * @throws IllegalStateException when refused, with the reason
     */
    String failover(String target, boolean force);

    /**
     * A primary leading without the store ({@code failover.failsafe}) asks this member not to take the leader lock for
     * {@code window}, by this member's clock from now. Returns what was promised.
     *
     * @throws IllegalStateException when this member leads itself or is not running its HA loop yet
     */
    String confirmFailsafe(String primary, java.time.Duration window);

    /** Sets or clears the cluster-wide maintenance flag (no automatic failover while set). */
    void pause(boolean paused);

    /**
     * The cluster's history read from the store now: events at or after {@code sinceMillis}, of {@code member} when
     * given, oldest first. Empty where no history is kept (API tests' stand-ins).
     *
     * @throws dev.autopilot.coordination.CoordinationException store unreachable
     */
    default List<HistoryEvent> history(long sinceMillis, Optional<String> member) {
        return List.of();
    }
}
