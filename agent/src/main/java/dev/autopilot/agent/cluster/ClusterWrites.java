package dev.autopilot.agent.cluster;

import java.util.List;

/**
 * The cluster keys the HA rules write (and the roster they read outside the cycle's view). Implemented by
 * {@link ClusterStore}; an in-memory one serves {@code HaCycleTest}.
 */
public interface ClusterWrites {

    void recordPromotion(Promotion promotion);

    void requestSwitchover(SwitchoverRequest request);

    void clearSwitchover();

    /** Publishes the members the primary asks for failsafe confirmations (failover.failsafe). */
    void publishFailsafeRoster(FailsafeRoster roster);

    /** Names of every member that ever joined. */
    List<String> roster();
}
