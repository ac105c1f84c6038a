package dev.autopilot.agent.ha;

import static org.assertj.core.api.Assertions.assertThat;

import dev.autopilot.agent.cluster.ClusterStore;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.agent.cluster.MemberState;
import dev.autopilot.agent.cluster.Role;
import dev.autopilot.coordination.WatchEvent;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * When {@link ElectionWake} runs a cycle: this member is db1; db2 and db3 are its peers, db2 the primary whose
 * {@code mariadbd} crashed in the election cases.
 */
class ElectionWakeTest {
    private final AtomicInteger wakes = new AtomicInteger();
    private final ElectionWake election = new ElectionWake("db1", wakes::incrementAndGet);

    private static MemberRecord replica(String name, String replicatingFrom, long updatedAt) {
        return new MemberRecord(name, "127.0.0.1" + name.charAt(2), 3306, 8008, 4444, Role.REPLICA, MemberState.RUNNING, true, true,
                "0-1-10", "0-1-10", 0, "10.11.6", "", 100, false, replicatingFrom, updatedAt);
    }

    private static MemberRecord primary(String name, String position) {
        return new MemberRecord(name, "127.0.0.1" + name.charAt(2), 3306, 8008, 4444, Role.PRIMARY, MemberState.RUNNING, true, true,
                position, position, 0, "10.11.6", "", 100, false, "", 0);
    }

    private static WatchEvent put(MemberRecord r) {
        return new WatchEvent(WatchEvent.Type.PUT, ClusterStore.MEMBERS + r.name(), ClusterStore.encode(r), 1, Optional.empty());
    }

    private static WatchEvent lock(WatchEvent.Type type) {
        return new WatchEvent(type, ClusterStore.LOCKS + ClusterStore.LEADER_LOCK, type == WatchEvent.Type.PUT ? "db2".getBytes() : new byte[0],
                1, Optional.empty());
    }

    @Test
    void mariadbdCrashPeerWhoseFreshRecordShowsItsReceiverGoneWakesACandidateAtOnce() {
        election.memberChanged(put(replica("db3", "db2", 1))); // before the crash: db3 receives from db2
        election.lockChanged(lock(WatchEvent.Type.DELETE)); // db2's agent released the lock
        assertThat(wakes).hasValue(1);
        election.memberChanged(put(replica("db3", "", 2))); // db3 saw the lock go and republished: its final position
        assertThat(wakes).as("the candidate that deferred to db3's stale record decides now").hasValue(2);
    }

    @Test
    void peerRecordsDoNotWakeTheLoopWhileALeaderHoldsTheLock() {
        election.lockChanged(lock(WatchEvent.Type.PUT));
        election.memberChanged(put(replica("db3", "db2", 1)));
        election.memberChanged(put(replica("db3", "", 2)));
        assertThat(wakes).as("only the lock's own change").hasValue(1);
    }

    @Test
    void peerRepublishingTheSameRecordDoesNotWakeAnElection() {
        election.lockChanged(lock(WatchEvent.Type.DELETE));
        election.memberChanged(put(replica("db3", "", 1)));
        int before = wakes.get();
        election.memberChanged(put(replica("db3", "", 2))); // only its timestamp moved (republished every few seconds)
        assertThat(wakes).hasValue(before);
    }

    @Test
    void zeroLossHandOverNewPrimaryPublishingItselfAsPrimaryWakesItsReplicasToRepoint() {
        election.memberChanged(put(replica("db3", "db2", 1)));
        election.lockChanged(lock(WatchEvent.Type.PUT)); // db2 (the event's value) took the lock; its record is still a replica's
        assertThat(wakes).hasValue(1);
        election.memberChanged(put(primary("db2", "0-1-10")));
        assertThat(wakes).as("a replica waiting for it to publish itself as primary re-points now").hasValue(2);
    }

    @Test
    void leadingPrimaryRepublishingNewPositionsWakesNobody() {
        election.lockChanged(lock(WatchEvent.Type.PUT));
        election.memberChanged(put(primary("db2", "0-1-10")));
        int before = wakes.get();
        election.memberChanged(put(primary("db2", "0-1-11")));
        election.memberChanged(put(primary("db2", "0-1-12")));
        assertThat(wakes).hasValue(before);
    }

    @Test
    void ownRecordNeverWakesItsOwnLoop() {
        election.lockChanged(lock(WatchEvent.Type.DELETE));
        election.memberChanged(put(replica("db1", "", 1)));
        assertThat(wakes).hasValue(1);
    }

    @Test
    void peerLeavingDuringAnElectionWakesTheLoop() {
        election.memberChanged(put(replica("db3", "db2", 1)));
        election.lockChanged(lock(WatchEvent.Type.DELETE));
        election.memberChanged(new WatchEvent(WatchEvent.Type.DELETE, ClusterStore.MEMBERS + "db3", new byte[0], 2, Optional.empty()));
        assertThat(wakes).hasValue(2);
    }

    @Test
    void cycleThatReadTheLockHeldBeforeItsReleaseDoesNotEndTheElection() {
        long before = election.lockEvents();
        election.lockChanged(lock(WatchEvent.Type.DELETE)); // released while the cycle was reading
        election.cycleRead(before, Optional.of("db2")); // its view still had the holder
        assertThat(election.electing()).isTrue();
        election.cycleRead(election.lockEvents(), Optional.of("db3")); // a later cycle read a new holder
        assertThat(election.electing()).isFalse();
    }

    @Test
    void cycleThatFindsTheLockFreeStartsAnElectionWithoutAWatchEvent() {
        election.cycleRead(election.lockEvents(), Optional.empty()); // e.g. the lock expired while the watch was reconnecting
        election.memberChanged(put(replica("db3", "", 1)));
        assertThat(wakes).hasValue(1);
    }
}
