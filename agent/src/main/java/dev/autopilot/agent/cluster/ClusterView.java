package dev.autopilot.agent.cluster;

import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One immutable reading of the cluster, taken at the start of an HA cycle; every rule of that cycle decides
 * on this same reading.
 *
 * @param members       live member records by name
 * @param leader        who holds the leader lock, if anyone
 * @param paused        maintenance: no automatic failover while set
 * @param switchover    a planned switchover in progress
 * @param lastPromotion the most recent promotion, for anti-flapping
 * @param initializedBy the member that bootstrapped the cluster, empty for a new cluster
 */
public record ClusterView(SortedMap<String, MemberRecord> members, Optional<String> leader, boolean paused,
                          Optional<SwitchoverRequest> switchover, Optional<Promotion> lastPromotion,
                          Optional<String> initializedBy) {

    public ClusterView {
        members = new TreeMap<>(members);
    }

    public static ClusterView of(Map<String, MemberRecord> members, Optional<String> leader) {
        return new ClusterView(new TreeMap<>(members), leader, false, Optional.empty(), Optional.empty(), Optional.empty());
    }

    public Optional<MemberRecord> member(String name) {
        return Optional.ofNullable(members.get(name));
    }

    /** This view with {@code record} in place of what the store had for that member (a fresher record of one's own). */
    public ClusterView withMember(MemberRecord record) {
        var copy = new TreeMap<>(members);
        copy.put(record.name(), record);
        return new ClusterView(copy, leader, paused, switchover, lastPromotion, initializedBy);
    }

    /** The leader's record, when the leader is known and has published one. */
    public Optional<MemberRecord> leaderRecord() {
        return leader.flatMap(this::member);
    }
}
