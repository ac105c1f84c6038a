package dev.autopilot.agent.it;

/**
 * One fault of a seeded schedule (see {@link FaultSchedule}), decided before the cluster is looked at, so the same
 * seed always yields the same sequence: which kind, on which role, for how long, and the second fault of a compound.
 *
 * @param kind     what is done
 * @param onPrimary the target is the primary at injection time (else a replica, picked with {@code pick})
 * @param pick     which replica or etcd member (taken modulo the number of candidates)
 * @param millis   how long the fault lasts before its heal (pauses, partitions, outages, downtime of a killed node)
 * @param second   for compound faults: the fault injected while the first one is being handled
 * @param delayMillis for compound faults: how long after the first one's hand-over starts the second one comes
 */
record Fault(Kind kind, boolean onPrimary, int pick, long millis, Kind second, long delayMillis) {

    /** The faults the suite injects. */
    enum Kind {
        /** kill -9 of the agent alone; its mariadbd keeps running (an orphan). Heal: start the agent again. */
        KILL_AGENT,
        /** kill -9 of mariadbd alone; the agent's supervisor restarts it. */
        KILL_DATABASE,
        /** kill -9 of the agent and its mariadbd (a node crash). Heal: start the node again. */
        KILL_NODE,
        /** SIGSTOP of the agent for 1–10 s (a frozen agent: GC, stalled VM). */
        PAUSE_AGENT,
        /** SIGSTOP of mariadbd for 1–10 s (a slow or stalled database). */
        PAUSE_DATABASE,
        /**
         * The member's file system (a tmpfs of its own, in the campaign's mount namespace) filled to its last 64 KiB for
         * 5–20 s. Heal: the ballast file deleted.
         */
        DISK_FULL,
        /** The primary's agent cannot reach any etcd member. */
        CUT_PRIMARY_FROM_STORE,
        /** Nothing from the other members reaches the primary (replication, their REST calls); clients still do. */
        CUT_PRIMARY_FROM_REPLICAS,
        /** Both of the above. */
        CUT_PRIMARY_FROM_BOTH,
        /** One etcd member cut from its peers and every client. */
        ISOLATE_ETCD_MEMBER,
        /** Two of the three etcd members killed (no quorum), restarted after the outage. */
        ETCD_QUORUM_LOSS,
        /** The object store (a directory) unusable. */
        OBJECT_STORE_OUTAGE,
        /** The primary crashes, and {@link Fault#second} hits the new primary as soon as it takes the lock. */
        FAULT_DURING_FAILOVER,
        /** A switchover is asked for, and {@link Fault#second} hits the old primary or the target while it runs. */
        FAULT_DURING_SWITCHOVER
    }

    /** The same fault aimed at the primary ({@code true}) or a replica. */
    Fault aimedAt(boolean primary) {
        return new Fault(kind, primary, pick, millis, second, delayMillis);
    }

    /** A short label for counts and the history, e.g. {@code KILL_NODE@primary}. */
    String label() {
        String where = switch (kind) {
            case ISOLATE_ETCD_MEMBER, ETCD_QUORUM_LOSS, OBJECT_STORE_OUTAGE, CUT_PRIMARY_FROM_STORE, CUT_PRIMARY_FROM_REPLICAS,
                 CUT_PRIMARY_FROM_BOTH, FAULT_DURING_FAILOVER, FAULT_DURING_SWITCHOVER -> "";
            default -> onPrimary ? "@primary" : "@replica";
        };
        return kind + where + (second == null ? "" : "+" + second);
    }

    @Override
    public String toString() {
        return label() + " pick=" + pick + " for " + millis + " ms" + (second == null ? "" : ", second after " + delayMillis + " ms");
    }
}
