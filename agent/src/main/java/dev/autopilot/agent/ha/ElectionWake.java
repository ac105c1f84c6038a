package dev.autopilot.agent.ha;

import dev.autopilot.agent.cluster.ClusterStore;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.coordination.WatchEvent;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs the steps of a hand-over that wait on peers' records as those records arrive, instead of on the loop's ticks.
 * While the leader lock is free, a candidate decides on the others' records: it defers to a more advanced peer, and
 * waits (up to two loop intervals) for a peer whose last record still showed its receiver connected to the dead primary.
 * Those peers republish within milliseconds of seeing the lock go; waiting for the next tick to read them cost up to a
 * loop interval (bench/failover, mariadbd crash: both replicas deferred to each other's stale record, then waited
 * 0.5-0.6 s for their ticks). Once a new primary holds the lock, its replicas wait for it to publish itself as primary
 * before they re-point, and in zero-loss mode its first commit waits for one of them (bench/failover, zero-loss graceful
 * stop: 0.4 s of a tick between the new primary's record and the re-point).
 *
 * <p>So a peer's record wakes the loop when, while the lock is free, it changed in what an election reads, or when it
 * is the lock holder's and its role, state or health changed. Nothing else does: a leading cluster's steady
 * republishing (positions, timestamps) costs no cycles. Who holds the lock comes from the lock's watch and from each
 * cycle's view, the newer of the two winning.
 */
public final class ElectionWake {
    /** What was last seen of a peer: what an election reads of it, and its standing (role, state, health). */
    private record Seen(String election, String standing) {
    }

    private static final Seen NONE = new Seen("", "");

    private final String self;
    private final Runnable wake;
    private final Map<String, Seen> seen = new ConcurrentHashMap<>();
    private long lockEvents;
    private boolean lockFree;
    private String holder = "";

    /**
     * @param self this member's name (its own record never wakes it)
     * @param wake runs a cycle now
     */
    public ElectionWake(String self, Runnable wake) {
        this.self = self;
        this.wake = wake;
    }

    /** A change under the lock's prefix ({@code locks/}): wakes the loop; the leader lock's DELETE opens an election. */
    public void lockChanged(WatchEvent event) {
        if (event.key().equals(ClusterStore.LOCKS + ClusterStore.LEADER_LOCK)) {
            synchronized (this) {
                lockEvents++;
                lockFree = event.type() == WatchEvent.Type.DELETE;
                holder = lockFree ? "" : event.text();
            }
        }
        wake.run();
    }

    /** A change under {@code members/}: wakes the loop when a hand-over waits on what changed (see the class comment). */
    public void memberChanged(WatchEvent event) {
        String name = event.key().substring(event.key().lastIndexOf('/') + 1);
        if (name.equals(self)) {
            return;
        }
        Seen now = event.type() == WatchEvent.Type.DELETE ? NONE : read(event.value());
        Seen before = now == NONE ? seen.remove(name) : seen.put(name, now);
        before = before == null ? NONE : before;
        boolean wakes;
        synchronized (this) {
            wakes = (lockFree && !now.election().equals(before.election()))
                    || (name.equals(holder) && !now.standing().equals(before.standing()));
        }
        if (wakes) {
            wake.run();
        }
    }

    /** How many changes of the leader lock were seen so far: take it before a cycle reads the view, for {@link #cycleRead}. */
    public synchronized long lockEvents() {
        return lockEvents;
    }

    /** A cycle read this holder of the lock (none: free); believed unless the lock's watch saw a change after {@code lockEventsBefore}. */
    public synchronized void cycleRead(long lockEventsBefore, Optional<String> leader) {
        if (lockEvents == lockEventsBefore) {
            lockFree = leader.isEmpty();
            holder = leader.orElse("");
        }
    }

    /** Whether an election is on: the leader lock was last seen free. */
    public synchronized boolean electing() {
        return lockFree;
    }

    /** What a hand-over reads of a record; an unreadable one counts as changed (the cycle reports it). */
    private static Seen read(byte[] value) {
        try {
            MemberRecord r = ClusterStore.decode(value, MemberRecord.class);
            String standing = String.join("|", String.valueOf(r.role()), String.valueOf(r.state()), String.valueOf(r.healthy()));
            return new Seen(String.join("|", standing, String.valueOf(r.promotable()), r.gtidPosition(), r.knownGtids(),
                    r.replicatingFrom(), String.valueOf(r.lagMillis()), String.valueOf(r.priority()), String.valueOf(r.noFailover())),
                    standing);
        } catch (RuntimeException e) {
            String unreadable = "unreadable " + Arrays.hashCode(value);
            return new Seen(unreadable, unreadable);
        }
    }
}
