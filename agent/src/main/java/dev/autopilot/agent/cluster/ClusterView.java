package dev.autopilot.agent.cluster;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

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
 * @param unreadable    store keys that were skipped because they could not be decoded, with the reason (for
 *                      example {@code members/db3} written by a newer agent version); such a member is missing from
 *                      {@code members} although its agent is alive
 * @param failsafeRoster the members a failsafe primary asks, when one published it
 * @param roster        every member that ever joined (a member in it without a record has no running agent); read in
 *                      the same range read as the rest, so it costs the store nothing more
 */
public record ClusterView(SortedMap<String, MemberRecord> members, Optional<String> leader, boolean paused,
                          Optional<SwitchoverRequest> switchover, Optional<Promotion> lastPromotion,
                          Optional<String> initializedBy, SortedMap<String, String> unreadable,
                          Optional<FailsafeRoster> failsafeRoster, SortedSet<String> roster) {

    public ClusterView {
        members = new TreeMap<>(members);
        unreadable = Collections.unmodifiableSortedMap(new TreeMap<>(unreadable));
        roster = Collections.unmodifiableSortedSet(new TreeSet<>(roster));
    }

    /** A view without the roster. */
    public ClusterView(SortedMap<String, MemberRecord> members, Optional<String> leader, boolean paused,
                       Optional<SwitchoverRequest> switchover, Optional<Promotion> lastPromotion, Optional<String> initializedBy,
                       SortedMap<String, String> unreadable, Optional<FailsafeRoster> failsafeRoster) {
        this(members, leader, paused, switchover, lastPromotion, initializedBy, unreadable, failsafeRoster, new TreeSet<>());
    }

    /** A view without a published failsafe roster. */
    public ClusterView(SortedMap<String, MemberRecord> members, Optional<String> leader, boolean paused,
                       Optional<SwitchoverRequest> switchover, Optional<Promotion> lastPromotion, Optional<String> initializedBy,
                       SortedMap<String, String> unreadable) {
        this(members, leader, paused, switchover, lastPromotion, initializedBy, unreadable, Optional.empty());
    }

    /** This view with {@code roster} as the published failsafe roster. */
    public ClusterView withFailsafeRoster(FailsafeRoster roster) {
        return new ClusterView(members, leader, paused, switchover, lastPromotion, initializedBy, unreadable, Optional.of(roster),
                this.roster);
    }

    /** A view in which every record was readable. */
    public ClusterView(SortedMap<String, MemberRecord> members, Optional<String> leader, boolean paused,
                       Optional<SwitchoverRequest> switchover, Optional<Promotion> lastPromotion, Optional<String> initializedBy) {
        this(members, leader, paused, switchover, lastPromotion, initializedBy, new TreeMap<>());
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
        return new ClusterView(copy, leader, paused, switchover, lastPromotion, initializedBy, unreadable, failsafeRoster, roster);
    }

    /** Names of members whose record is in the store but could not be decoded (see {@link #unreadable()}). */
    public List<String> unreadableMembers() {
        return unreadable.keySet().stream().filter(k -> k.startsWith(ClusterStore.MEMBERS))
                .map(k -> k.substring(ClusterStore.MEMBERS.length())).toList();
    }

    /** The leader's record, when the leader is known and has published one. */
    public Optional<MemberRecord> leaderRecord() {
        return leader.flatMap(this::member);
    }
}
