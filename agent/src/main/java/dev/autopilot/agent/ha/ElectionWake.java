package dev.autopilot.agent.ha;

import dev.autopilot.agent.cluster.ClusterStore;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.coordination.WatchEvent;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs an election on its peers' records as they arrive instead of on the loop's ticks. While the leader lock is free,
 * a candidate decides on the others' records: it defers to a more advanced peer, and waits (up to two loop intervals)
 * for a peer whose last record still showed its receiver connected to the dead primary. Those peers republish within
 * milliseconds of seeing the lock go; waiting for the next tick to read them cost up to a loop interval (bench/failover,
 * mariadbd crash: both replicas deferred to each other's stale record, then waited 0.5-0.6 s for their ticks).
 *
 * <p>So, while the lock is free, a peer's record that changed in what an election reads wakes the loop. Nothing else
 * does: with a leader, or when a record is only republished (its timestamp), nothing wakes, so a running cluster's
 * steady republishing costs no cycles. Whether the lock is free comes from the lock's watch and from each cycle's view,
 * the newer of the two winning.
 */
public final class ElectionWake {
    private final String self;
    private final Runnable wake;
    private final Map<String, String> seen = new ConcurrentHashMap<>();
    private long lockEvents;
    private boolean lockFree;

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
            }
        }
        wake.run();
    }

    /** A change under {@code members/}: wakes the loop when the lock is free and the record changed in what elections read. */
    public void memberChanged(WatchEvent event) {
        String name = event.key().substring(event.key().lastIndexOf('/') + 1);
        if (name.equals(self)) {
            return;
        }
        String now = event.type() == WatchEvent.Type.DELETE ? "" : decisive(event.value());
        String before = now.isEmpty() ? seen.remove(name) : seen.put(name, now);
        if (electing() && !now.equals(before)) {
            wake.run();
        }
    }

    /** How many changes of the leader lock were seen so far: take it before a cycle reads the view, for {@link #cycleRead}. */
    public synchronized long lockEvents() {
        return lockEvents;
    }

    /** A cycle read the lock free or held; believed unless the lock's watch saw a change after {@code lockEventsBefore}. */
    public synchronized void cycleRead(long lockEventsBefore, boolean free) {
        if (lockEvents == lockEventsBefore) {
            lockFree = free;
        }
    }

    /** Whether an election is on: the leader lock was last seen free. */
    public synchronized boolean electing() {
        return lockFree;
    }

    /** What an election reads of a record; an unreadable one counts as changed (the cycle reports it). */
    private static String decisive(byte[] value) {
        try {
            MemberRecord r = ClusterStore.decode(value, MemberRecord.class);
            return String.join("|", String.valueOf(r.role()), String.valueOf(r.state()), String.valueOf(r.healthy()),
                    String.valueOf(r.promotable()), r.gtidPosition(), r.knownGtids(), r.replicatingFrom(),
                    String.valueOf(r.lagMillis()), String.valueOf(r.priority()), String.valueOf(r.noFailover()));
        } catch (RuntimeException e) {
            return "unreadable " + java.util.Arrays.hashCode(value);
        }
    }
}
