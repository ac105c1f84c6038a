package dev.autopilot.agent.ha;

import static org.assertj.core.api.Assertions.assertThat;

import dev.autopilot.agent.cluster.ClusterView;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.agent.cluster.MemberState;
import dev.autopilot.agent.cluster.Promotion;
import dev.autopilot.agent.cluster.Role;
import dev.autopilot.agent.cluster.SwitchoverRequest;
import dev.autopilot.agent.config.AgentConfig;
import dev.autopilot.agent.config.AgentConfigLoader;
import dev.autopilot.agent.db.DatabaseReading;
import dev.autopilot.coordination.CoordinationException;
import dev.autopilot.mysql.auth.Credentials;
import dev.autopilot.mysql.auth.Secret;
import dev.autopilot.mysql.flavor.ReplicationStatus;
import dev.autopilot.mysql.gtid.GtidPosition;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every guard clause and outcome of {@link HaCycle}, one case per rule, on in-memory stand-ins for the database,
 * the lock and the cluster keys (Patroni's test_ha.py idea). This member is always db1 (server_id 11); db2 and db3
 * are its peers.
 */
class HaCycleTest {
    @TempDir
    Path dir;

    private final HaFakes.Database db = new HaFakes.Database();
    private final HaFakes.Lock lock = new HaFakes.Lock();
    private final HaFakes.Store store = new HaFakes.Store();
    private final HaFakes.Clock clock = new HaFakes.Clock();
    private final HaFakes.Peers peers = new HaFakes.Peers();
    private final HaFakes.Alarm alarm = new HaFakes.Alarm(clock);
    private final List<String> rebuilds = new ArrayList<>();
    private HaCycle cycle;

    @BeforeEach
    void setUp() throws Exception {
        cycle = cycle("");
    }

    private HaCycle cycle(String failoverYaml) throws Exception {
        return cycle(failoverYaml, "", "");
    }

    private HaCycle cycle(String failoverYaml, String memberYaml, String mysqlYaml) throws Exception {
        Path file = dir.resolve("agent.yaml");
        Files.writeString(file, "cluster: orders\nmember: {name: db1, address: 127.0.0.11, dataDir: " + dir.resolve("data")
                + (memberYaml.isEmpty() ? "" : ", " + memberYaml) + "}\n"
                + (failoverYaml.isEmpty() ? "" : "failover: {" + failoverYaml + "}\n")
                + (mysqlYaml.isEmpty() ? "" : "mysql: {" + mysqlYaml + "}\n"));
        AgentConfig config = new AgentConfigLoader(Map.of()).load(Optional.of(file));
        return new HaCycle(config, new Credentials("repl", Secret.of("repl-secret")), db, lock, store, clock.haClock(),
                (primary, reason) -> rebuilds.add(primary + ":" + reason), peers, alarm);
    }

    // ---- readings and views -------------------------------------------------------------------------------

    private static ReplicationStatus replicating(String host, boolean ioRunning, int ioErrno, String ioError) {
        return new ReplicationStatus(true, ioRunning ? ReplicationStatus.IoState.RUNNING : ReplicationStatus.IoState.STOPPED, true,
                ioErrno, ioError, 0, "", Optional.of(0L), host, 3306, "", "Slave has read all relay log");
    }

    private static DatabaseReading reading(boolean readOnly, String binlogState, ReplicationStatus replication) {
        GtidPosition state = GtidPosition.parse(binlogState);
        return new DatabaseReading(true, readOnly, state.perDomain(), state, GtidPosition.empty(), replication, "10.11.6", "");
    }

    private static DatabaseReading writable() {
        return reading(false, "0-1-10", ReplicationStatus.notConfigured());
    }

    private static DatabaseReading readOnlyAlone() {
        return reading(true, "0-1-10", ReplicationStatus.notConfigured());
    }

    private static DatabaseReading replicaOf(String host) {
        return reading(true, "0-1-10", replicating(host, true, 0, ""));
    }

    private static MemberRecord record(String name, Role role, String gtid) {
        return new MemberRecord(name, "127.0.0.1" + name.charAt(2), 3306, 8008, 4444, role, MemberState.RUNNING, true, true,
                gtid, gtid, 0, "10.11.6", "", 100, false, "", 0);
    }

    private static ClusterView view(Optional<String> leader, MemberRecord... members) {
        return view(leader, Optional.empty(), members);
    }

    private static ClusterView view(Optional<String> leader, Optional<SwitchoverRequest> switchover, MemberRecord... members) {
        var map = new TreeMap<String, MemberRecord>();
        for (MemberRecord m : members) {
            map.put(m.name(), m);
        }
        return new ClusterView(map, leader, false, switchover, Optional.empty(), Optional.of("db1"));
    }

    private static final MemberRecord SELF_REPLICA = record("db1", Role.REPLICA, "0-1-10");
    private static final MemberRecord PEER_REPLICA = record("db3", Role.REPLICA, "0-1-10");
    private static final MemberRecord PRIMARY_DB2 = record("db2", Role.PRIMARY, "0-1-10");

    /** db1 as the writable primary, holding the lock. */
    private void leading() {
        lock.held = true;
        assertThat(cycle.run(readOnlyAlone(), view(Optional.of("db1"), SELF_REPLICA, PEER_REPLICA))).isEqualTo(new Outcome.Leading());
        db.steps.clear();
    }

    // ---- the database is down -----------------------------------------------------------------------------

    @Test
    void primaryWhoseDatabaseExitedReleasesTheLockAtOnceWithoutFencing() {
        leading();
        db.alive = false;
        Outcome o = cycle.run(DatabaseReading.unreachable("no answer"), view(Optional.of("db1"), SELF_REPLICA, PEER_REPLICA));
        assertThat(o).isInstanceOf(Outcome.ReleasedLock.class);
        assertThat(lock.held).isFalse();
        assertThat(db.steps).doesNotContain("fence");
        assertThat(cycle.role()).isEqualTo(Role.NONE);
    }

    @Test
    void primaryWhoseDatabaseProcessExitsReleasesTheLockAtTheExitWithoutReadingAnything() {
        leading();
        routingIntoSteps();
        db.alive = false;
        assertThat(cycle.onDatabaseExit("killed")).get().isInstanceOf(Outcome.ReleasedLock.class);
        assertThat(lock.held).isFalse();
        assertThat(db.steps).containsExactly("routing closed (lock held)");
        assertThat(cycle.role()).isEqualTo(Role.NONE);
        assertThat(cycle.run(DatabaseReading.unreachable("no answer"), view(Optional.empty(), SELF_REPLICA, PEER_REPLICA)))
                .as("the cycle after it only reports").isInstanceOf(Outcome.DatabaseDown.class);
    }

    @Test
    void databaseExitWhoseServerRunsAgainLeavesTheDecisionToTheNextCycle() {
        leading();
        assertThat(cycle.onDatabaseExit("restarted already")).isEmpty();
        assertThat(lock.held).isTrue();
        assertThat(cycle.writesOpen()).isTrue();
    }

    @Test
    void replicaWhoseDatabaseExitsHoldsNoLockToRelease() {
        db.alive = false;
        assertThat(cycle.onDatabaseExit("killed")).isEmpty();
        assertThat(lock.releases).isZero();
    }

    @Test
    void primaryWhoseDatabaseIsStalledButAliveIsFencedBeforeTheLockIsReleased() {
        leading();
        List<String> order = db.steps;
        lock.releaseFailure = null;
        Outcome o = cycle.run(DatabaseReading.unreachable("timeout"), view(Optional.of("db1"), SELF_REPLICA, PEER_REPLICA));
        assertThat(o).isInstanceOf(Outcome.ReleasedLock.class);
        assertThat(order).containsExactly("fence");
        assertThat(lock.releases).isEqualTo(1);
    }

    /**
     * Fault campaign seed 501 (zero-loss, the primary's disk full): the fence killed the sessions of the stalled commits,
     * which committed them unacknowledged; the primary was then "more advanced" than both replicas by them, took the lock
     * back and showed them to readers, and was deposed again: reads gone backwards. Stopped, it commits nothing.
     */
    @Test
    void zeroLossPrimaryWhoseDatabaseIsStalledIsStoppedNotFencedBeforeTheLockIsReleased() throws Exception {
        cycle = cycle("", "", "zeroLoss: true");
        leading();
        Outcome o = cycle.run(DatabaseReading.unreachable("timeout"), view(Optional.of("db1"), SELF_REPLICA, PEER_REPLICA));
        assertThat(o).isInstanceOf(Outcome.ReleasedLock.class);
        assertThat(db.steps).containsExactly("stop");
        assertThat(lock.releases).isEqualTo(1);
    }

    @Test
    void primaryWhoseStalledDatabaseCannotBeFencedKeepsTheLockSoNoSecondMemberBecomesWritable() {
        leading();
        db.fenceWorks = false;
        Outcome o = cycle.run(DatabaseReading.unreachable("timeout"), view(Optional.of("db1"), SELF_REPLICA, PEER_REPLICA));
        assertThat(o).isInstanceOf(Outcome.FenceFailed.class);
        assertThat(lock.held).isTrue();
        assertThat(lock.releases).isZero();
    }

    @Test
    void replicaWhoseDatabaseIsDownOnlyReportsIt() {
        Outcome o = cycle.run(DatabaseReading.unreachable("no answer"), view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA));
        assertThat(o).isEqualTo(new Outcome.DatabaseDown("no answer"));
        assertThat(db.steps).isEmpty();
    }

    // ---- lease loss and members that cannot prove they lead ------------------------------------------------

    @Test
    void lostLeaseFencesAtOnceAndTheNextCycleReportsFenced() {
        leading();
        lock.held = false;
        cycle.onLeaseLost("renewal failed");
        assertThat(db.steps).containsExactly("fence");
        assertThat(cycle.run(readOnlyAlone(), view(Optional.empty(), SELF_REPLICA))).isEqualTo(new Outcome.Fenced("lease lost"));
        assertThat(cycle.role()).isEqualTo(Role.NONE);
    }

    @Test
    void lostLeaseWhoseReadingStillShowsWritesOpenFencesAgain() {
        leading();
        lock.held = false;
        cycle.onLeaseLost("renewal failed");
        db.steps.clear();
        assertThat(cycle.run(writable(), view(Optional.empty(), SELF_REPLICA))).isEqualTo(new Outcome.Fenced("lease lost"));
        assertThat(db.steps).containsExactly("fence");
    }

    @Test
    void lostLeaseWhoseFenceFailedIsNeverReportedAsFencedAndIsRetriedEveryCycle() {
        leading();
        lock.held = false;
        db.fenceWorks = false;
        cycle.onLeaseLost("renewal failed");
        assertThat(cycle.run(writable(), view(Optional.empty(), SELF_REPLICA))).isInstanceOf(Outcome.FenceFailed.class);
        assertThat(cycle.run(writable(), view(Optional.empty(), SELF_REPLICA))).isInstanceOf(Outcome.FenceFailed.class);
        db.fenceWorks = true;
        assertThat(cycle.run(writable(), view(Optional.empty(), SELF_REPLICA))).isEqualTo(new Outcome.Fenced("lease lost"));
        assertThat(db.steps).containsExactly("fence", "fence", "fence", "fence");
    }

    @Test
    void writableMemberThatDoesNotHoldTheLockIsFenced() {
        Outcome o = cycle.run(writable(), view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA));
        assertThat(o).isInstanceOf(Outcome.Fenced.class);
        assertThat(db.steps).containsExactly("fence");
    }

    @Test
    void storeUnreachableAndLockNotHeldByOwnClockFencesAWritableMember() {
        leading();
        lock.held = false; // the lease deadline passed while the store was away
        Outcome o = cycle.withoutStore(writable(), "etcd unreachable");
        assertThat(o).isInstanceOf(Outcome.Fenced.class);
        assertThat(db.steps).containsExactly("fence");
    }

    @Test
    void storeUnreachableWhileTheLeaseIsStillHeldKeepsWriting() {
        leading();
        assertThat(cycle.withoutStore(writable(), "etcd unreachable")).isEqualTo(new Outcome.StoreUnreachable("etcd unreachable"));
        assertThat(db.steps).isEmpty();
    }

    // ---- leading --------------------------------------------------------------------------------------------

    @Test
    void lockHolderThatIsReadOnlyAppliesItsRelayLogBeforeOpeningWrites() {
        lock.held = true;
        Outcome o = cycle.run(replicaOf("127.0.0.12"), view(Optional.of("db1"), SELF_REPLICA));
        assertThat(o).isEqualTo(new Outcome.Leading());
        assertThat(db.steps).containsExactly("stopReceiver", "awaitRelayLogApplied", "detachReplication", "prepareWrites", "allowWrites");
        assertThat(cycle.role()).isEqualTo(Role.PRIMARY);
    }

    @Test
    void leaseLostWhileDrainingNeverOpensWrites() {
        lock.held = true;
        db.duringDrain = () -> cycle.onLeaseLost("deadline passed during the drain");
        Outcome o = cycle.run(replicaOf("127.0.0.12"), view(Optional.of("db1"), SELF_REPLICA));
        assertThat(o).isInstanceOf(Outcome.PromotionAbandoned.class);
        assertThat(db.steps).doesNotContain("allowWrites");
        assertThat(db.readOnly).isTrue();
    }

    @Test
    void lockExpiredByOwnClockJustBeforeOpeningNeverOpensWrites() {
        lock.held = true;
        db.duringDrain = () -> lock.held = false;
        Outcome o = cycle.run(replicaOf("127.0.0.12"), view(Optional.of("db1"), SELF_REPLICA));
        assertThat(o).isInstanceOf(Outcome.PromotionAbandoned.class);
        assertThat(db.steps).doesNotContain("allowWrites").endsWith("fence");
    }

    @Test
    void primaryMadeReadOnlyBehindItsBackWhileHoldingTheLockOpensWritesAgain() {
        leading();
        Outcome o = cycle.run(readOnlyAlone(), view(Optional.of("db1"), SELF_REPLICA, PEER_REPLICA));
        assertThat(o).isEqualTo(new Outcome.Leading());
        assertThat(db.steps).containsExactly("detachReplication", "prepareWrites", "allowWrites");
    }

    // ---- promotion --------------------------------------------------------------------------------------------

    @Test
    void bestCandidateTakesTheFreeLockAndOpensWritesAfterItsRelayLog() {
        Outcome o = cycle.run(replicaOf("127.0.0.12"), view(Optional.empty(), SELF_REPLICA, PEER_REPLICA));
        assertThat(o).isInstanceOf(Outcome.PromotedSelf.class);
        assertThat(lock.held).isTrue();
        assertThat(db.steps).containsExactly("stopReceiver", "awaitRelayLogApplied", "detachReplication", "prepareWrites", "allowWrites");
    }

    @Test
    void promotionRecordedOnTheCycleAfterItOpenedWrites() {
        cycle.run(replicaOf("127.0.0.12"), view(Optional.empty(), SELF_REPLICA, PEER_REPLICA));
        assertThat(store.promotions).isEmpty();
        assertThat(cycle.run(writable(), view(Optional.of("db1"), SELF_REPLICA, PEER_REPLICA))).isEqualTo(new Outcome.Leading());
        assertThat(store.promotions).extracting(Promotion::member).containsExactly("db1");
    }

    @Test
    void promotionThatFailsAfterTakingTheLockReleasesItAndFences() {
        db.failAt = "prepareWrites";
        Outcome o = cycle.run(replicaOf("127.0.0.12"), view(Optional.empty(), SELF_REPLICA, PEER_REPLICA));
        assertThat(o).isInstanceOf(Outcome.PromotionAbandoned.class);
        assertThat(lock.held).isFalse();
        assertThat(lock.releases).isEqualTo(1);
        assertThat(db.steps).endsWith("fence").doesNotContain("allowWrites");
    }

    @Test
    void promotionWhoseRelayLogIsNotAppliedInTimeReleasesTheLockAndFences() {
        db.relayLogApplies = false;
        db.duringDrain = () -> clock.advance(Duration.ofSeconds(1)); // each wait takes its one-second slice
        Outcome o = cycle.run(replicaOf("127.0.0.12"), view(Optional.empty(), SELF_REPLICA, PEER_REPLICA));
        assertThat(o).isInstanceOf(Outcome.PromotionAbandoned.class);
        assertThat(lock.held).isFalse();
        assertThat(db.steps).endsWith("fence").doesNotContain("allowWrites");
    }

    @Test
    void longRelayLogDrainKeepsVouchingForLivenessSoTheLockIsNotLostMidPromotion() {
        int[] waits = {0};
        db.duringDrain = () -> {
            clock.advance(Duration.ofSeconds(1));
            db.relayLogApplies = ++waits[0] >= 10;
        };
        db.relayLogApplies = false;
        Outcome o = cycle.run(replicaOf("127.0.0.12"), view(Optional.empty(), SELF_REPLICA, PEER_REPLICA));
        assertThat(o).isInstanceOf(Outcome.PromotedSelf.class);
        assertThat(lock.confirmations).isGreaterThanOrEqualTo(9);
    }

    @Test
    void candidateThatLosesTheRaceForTheLockDoesNothing() {
        lock.otherHolder = "db3";
        assertThat(cycle.run(replicaOf("127.0.0.12"), view(Optional.empty(), SELF_REPLICA, PEER_REPLICA)))
                .isEqualTo(new Outcome.LostRace("db3"));
        assertThat(db.steps).isEmpty();
    }

    @Test
    void lessAdvancedCandidateDefersToTheMoreAdvancedPeer() {
        var ahead = record("db3", Role.REPLICA, "0-1-12");
        assertThat(cycle.run(replicaOf("127.0.0.12"), view(Optional.empty(), SELF_REPLICA, ahead)))
                .isInstanceOf(Outcome.Deferring.class);
        assertThat(lock.held).isFalse();
    }

    @Test
    void candidatesWithDivergedHistoriesHoldTheElection() {
        // db1 holds server 1's tail up to 40; db3 holds server 2's writes after a failover db1 never saw.
        var mine = record("db1", Role.REPLICA, "0-1-40");
        var theirs = new MemberRecord("db3", "127.0.0.13", 3306, 8008, 4444, Role.REPLICA, MemberState.RUNNING, true, true,
                "0-2-35", "0-1-30,0-2-35", 0, "10.11.6", "", 100, false, "", 0);
        assertThat(cycle.run(readOnlyAlone(), view(Optional.empty(), mine, theirs))).isInstanceOf(Outcome.ElectionHeld.class);
        assertThat(lock.held).isFalse();
    }

    @Test
    void pausedClusterWithoutPrimaryPromotesNobody() {
        var v = new ClusterView(new TreeMap<>(Map.of("db1", SELF_REPLICA)), Optional.empty(), true, Optional.empty(),
                Optional.empty(), Optional.of("db1"));
        assertThat(cycle.run(readOnlyAlone(), v)).isEqualTo(new Outcome.PausedWithoutLeader());
    }

    @Test
    void afterATotalOutageCandidatesWaitForTheRosterDuringTheGrace() {
        store.roster = List.of("db1", "db2", "db3");
        assertThat(cycle.run(readOnlyAlone(), view(Optional.empty(), SELF_REPLICA, PEER_REPLICA)))
                .isEqualTo(new Outcome.AwaitingMembers(List.of("db2")));
        clock.advance(Duration.ofMinutes(5));
        assertThat(cycle.run(readOnlyAlone(), view(Optional.empty(), SELF_REPLICA, PEER_REPLICA))).isInstanceOf(Outcome.PromotedSelf.class);
    }

    @Test
    void afterATotalOutageADeadPrimarysRecordOutlivingItsLockDoesNotCountAsReported() {
        // db2 died as primary holding 0-1-20; its record outlived the lock. db1 (behind) came back first.
        store.roster = List.of("db1", "db2");
        var deadPrimary = record("db2", Role.PRIMARY, "0-1-20");
        assertThat(cycle.run(readOnlyAlone(), view(Optional.empty(), SELF_REPLICA, deadPrimary)))
                .isEqualTo(new Outcome.AwaitingMembers(List.of("db2")));
        assertThat(lock.held).isFalse();
        var restarted = record("db2", Role.NONE, "0-1-20");
        assertThat(cycle.run(readOnlyAlone(), view(Optional.empty(), SELF_REPLICA, restarted))).isInstanceOf(Outcome.Deferring.class);
        assertThat(lock.held).isFalse();
    }

    @Test
    void candidateWaitsBrieflyForAPeerWhoseReceiverWasStillConnected() {
        var receiving = new MemberRecord("db3", "127.0.0.13", 3306, 8008, 4444, Role.REPLICA, MemberState.RUNNING, true, true,
                "0-1-10", "0-1-10", 0, "10.11.6", "", 50, false, "db2", 0);
        assertThat(cycle.run(readOnlyAlone(), view(Optional.empty(), SELF_REPLICA, receiving))).isInstanceOf(Outcome.Deferring.class);
        clock.advance(Duration.ofSeconds(2));
        assertThat(cycle.run(readOnlyAlone(), view(Optional.empty(), SELF_REPLICA, receiving))).isInstanceOf(Outcome.PromotedSelf.class);
    }

    // ---- routing: told the moment writes open or close ----------------------------------------------------------

    /** Records what routing is told into the database's steps, with whether the lock was held at that moment. */
    private void routingIntoSteps() {
        cycle.routeTo(open -> db.steps.add("routing " + (open ? "open" : "closed") + (lock.held ? " (lock held)" : " (lock free)")));
    }

    @Test
    void promotionTellsRoutingTheMomentWritesOpenUnderTheLockNotAfterTheCycle() {
        routingIntoSteps();
        assertThat(cycle.run(replicaOf("127.0.0.12"), view(Optional.empty(), SELF_REPLICA, PEER_REPLICA))).isInstanceOf(Outcome.PromotedSelf.class);
        assertThat(db.steps).endsWith("allowWrites", "routing open (lock held)");
        assertThat(cycle.writesOpen()).isTrue();
    }

    @Test
    void stepDownTellsRoutingWritesClosedBeforeItsFenceAndLockRelease() {
        leading();
        routingIntoSteps();
        var request = new SwitchoverRequest("db1", "db3", 1, "");
        assertThat(cycle.run(writable(), view(Optional.of("db1"), Optional.of(request), SELF_REPLICA, PEER_REPLICA)))
                .isEqualTo(new Outcome.SteppedDown("db3"));
        assertThat(db.steps).containsExactly("routing closed (lock held)", "fence", "position");
        assertThat(cycle.writesOpen()).isFalse();
    }

    @Test
    void primaryWhoseDatabaseExitedTellsRoutingWritesClosedBeforeReleasingTheLock() {
        leading();
        routingIntoSteps();
        db.alive = false;
        assertThat(cycle.run(DatabaseReading.unreachable("no answer"), view(Optional.of("db1"), SELF_REPLICA, PEER_REPLICA)))
                .isInstanceOf(Outcome.ReleasedLock.class);
        assertThat(db.steps).containsExactly("routing closed (lock held)");
        assertThat(cycle.writesOpen()).isFalse();
    }

    @Test
    void leaderWhoseFailedSwitchoverFenceClosedItsWritesOpensThemAgainNextCycle() {
        leading();
        db.fenceWorks = false;
        var request = new SwitchoverRequest("db1", "db3", 1, "");
        assertThat(cycle.run(writable(), view(Optional.of("db1"), Optional.of(request), SELF_REPLICA, PEER_REPLICA)))
                .isInstanceOf(Outcome.FenceFailed.class);
        assertThat(cycle.writesOpen()).as("closed for routing from the fence's start").isFalse();
        assertThat(cycle.run(writable(), view(Optional.of("db1"), SELF_REPLICA, PEER_REPLICA))).isEqualTo(new Outcome.Leading());
        assertThat(cycle.writesOpen()).as("still the lock holder: routed to again").isTrue();
        assertThat(db.steps).endsWith("allowWrites");
    }

    // ---- switchover -------------------------------------------------------------------------------------------

    @Test
    void switchoverRequestStepsDownFencedFirstWithTheFinalPositionHandedOver() {
        leading();
        var request = new SwitchoverRequest("db1", "db3", 1, "");
        Outcome o = cycle.run(writable(), view(Optional.of("db1"), Optional.of(request), SELF_REPLICA, PEER_REPLICA));
        assertThat(o).isEqualTo(new Outcome.SteppedDown("db3"));
        assertThat(db.steps).containsExactly("fence", "position");
        assertThat(store.switchoverRequests).containsExactly(new SwitchoverRequest("db1", "db3", 1, "0-1-10", true));
        assertThat(lock.held).isFalse();
    }

    @Test
    void gracefulStopStepsDownForTheBestReplicaWithoutWritingARequestFirst() {
        leading();
        cycle.stepDownForStop();
        Outcome o = cycle.run(writable(), view(Optional.of("db1"), SELF_REPLICA, PEER_REPLICA));
        assertThat(o).isEqualTo(new Outcome.SteppedDown("db3"));
        assertThat(db.steps).containsExactly("fence", "position");
        assertThat(store.switchoverRequests).as("only the hand-over, which binds db3 before the lock is released")
                .singleElement().satisfies(r -> {
                    assertThat(r.from()).isEqualTo("db1");
                    assertThat(r.to()).isEqualTo("db3");
                    assertThat(r.finalPosition()).isEqualTo("0-1-10");
                    assertThat(r.handedOver()).isTrue();
                });
        assertThat(lock.held).isFalse();
    }

    @Test
    void gracefulStopOfALeadingPrimaryStepsDownAtOnceOnTheLastViewWithoutACycle() {
        leading();
        Optional<Outcome> o = cycle.stepDownNow(view(Optional.of("db1"), SELF_REPLICA, PEER_REPLICA));
        assertThat(o).contains(new Outcome.SteppedDown("db3"));
        assertThat(db.steps).containsExactly("fence", "position");
        assertThat(store.switchoverRequests).singleElement().satisfies(r -> {
            assertThat(r.to()).isEqualTo("db3");
            assertThat(r.finalPosition()).isEqualTo("0-1-10");
            assertThat(r.handedOver()).isTrue();
        });
        assertThat(lock.held).isFalse();
        assertThat(cycle.role()).isEqualTo(Role.NONE);
    }

    @Test
    void gracefulStopOfAMemberThatDoesNotLeadNowIsLeftToTheNextCycle() {
        Optional<Outcome> o = cycle.stepDownNow(view(Optional.of("db2"), SELF_REPLICA, PEER_REPLICA));
        assertThat(o).isEmpty();
        assertThat(db.steps).doesNotContain("fence");
        assertThat(store.switchoverRequests).isEmpty();
    }

    @Test
    void switchoverToAMemberThatIsGoneIsRefusedAndTheRequestCleared() {
        leading();
        var request = new SwitchoverRequest("db1", "db2", 1, "");
        Outcome o = cycle.run(writable(), view(Optional.of("db1"), Optional.of(request), SELF_REPLICA, PEER_REPLICA));
        assertThat(o).isInstanceOf(Outcome.SwitchoverRefused.class);
        assertThat(store.switchoverCleared).isEqualTo(1);
        assertThat(lock.held).isTrue();
        assertThat(db.steps).doesNotContain("fence");
    }

    @Test
    void switchoverRequestToAPausedClustersPrimaryIsRefusedNotObeyed() {
        // Seen on a local cluster: pause, then switchover; the primary stepped down, nobody took the lock while paused,
        // and the cluster had no primary until the request timed out 30 s later.
        leading();
        var request = new SwitchoverRequest("db1", "db3", 1, "");
        var paused = new ClusterView(new TreeMap<>(Map.of("db1", SELF_REPLICA, "db3", PEER_REPLICA)), Optional.of("db1"), true,
                Optional.of(request), Optional.empty(), Optional.of("db1"));
        Outcome o = cycle.run(writable(), paused);
        assertThat(o).isInstanceOf(Outcome.SwitchoverRefused.class);
        assertThat(((Outcome.SwitchoverRefused) o).reason()).contains("paused");
        assertThat(store.switchoverCleared).isEqualTo(1);
        assertThat(lock.held).isTrue();
        assertThat(db.steps).doesNotContain("fence");
    }

    @Test
    void switchoverWhoseFenceFailsKeepsTheLockAndClearsTheRequest() {
        leading();
        db.fenceWorks = false;
        var request = new SwitchoverRequest("db1", "db3", 1, "");
        Outcome o = cycle.run(writable(), view(Optional.of("db1"), Optional.of(request), SELF_REPLICA, PEER_REPLICA));
        assertThat(o).isInstanceOf(Outcome.FenceFailed.class);
        assertThat(lock.held).isTrue();
        assertThat(store.switchoverRequests).isEmpty();
        assertThat(store.switchoverCleared).isEqualTo(1);
    }

    @Test
    void primaryThatLeadsAgainAfterAHandOverWhoseTargetDiedClearsTheRequestInsteadOfSteppingDownAgain() {
        leading();
        var handed = new SwitchoverRequest("db1", "db3", 1, "0-1-10");
        Outcome o = cycle.run(writable(), view(Optional.of("db1"), Optional.of(handed), SELF_REPLICA, PEER_REPLICA));
        assertThat(o).isEqualTo(new Outcome.Leading());
        assertThat(store.switchoverCleared).isEqualTo(1);
        assertThat(lock.held).isTrue();
        assertThat(db.steps).doesNotContain("fence");
    }

    /**
     * Found by `autopilot switchover` on a fresh local cluster: with no transaction yet the final position handed over is
     * empty, the hand-over looked as if it had never happened, the old primary won the ordinary election (same position,
     * its name sorting first), stepped down again at once, and so on until the request timed out 15 s later.
     */
    @Test
    void switchoverOfAClusterWithoutTransactionsYetBindsTheOldPrimaryToTheTarget() {
        var handedEmpty = new SwitchoverRequest("db1", "db3", 1, "", true);
        var noHistory = reading(true, "", ReplicationStatus.notConfigured());
        Outcome o = cycle.run(noHistory, view(Optional.empty(), Optional.of(handedEmpty), record("db1", Role.NONE, ""),
                record("db3", Role.REPLICA, "")));
        assertThat(o).isEqualTo(new Outcome.Deferring("db3", "planned switchover target"));
        assertThat(lock.held).isFalse();
    }

    @Test
    void primaryLeadingAgainAfterHandingOverAnEmptyPositionDoesNotStepDownAgain() {
        leading();
        var handedEmpty = new SwitchoverRequest("db1", "db3", 1, "", true);
        Outcome o = cycle.run(writable(), view(Optional.of("db1"), Optional.of(handedEmpty), SELF_REPLICA, PEER_REPLICA));
        assertThat(o).isEqualTo(new Outcome.Leading());
        assertThat(store.switchoverCleared).isEqualTo(1);
        assertThat(db.steps).doesNotContain("fence");
    }

    @Test
    void switchoverRequestOlderThanTheTimeoutByOwnClockIsClearedNotObeyed() {
        leading();
        var request = new SwitchoverRequest("db1", "db3", 1, "");
        var v = view(Optional.of("db1"), Optional.of(request), SELF_REPLICA, PEER_REPLICA);
        db.fenceWorks = false; // the first attempt fails, so the request is seen but not carried out
        cycle.run(writable(), v);
        db.fenceWorks = true;
        clock.advance(HaCycle.SWITCHOVER_TIMEOUT.plusSeconds(1));
        assertThat(cycle.run(writable(), v)).isEqualTo(new Outcome.Leading());
        assertThat(lock.held).isTrue();
    }

    @Test
    void replicasDeferToAFreshSwitchoverTargetButElectNormallyOnceItIsStale() {
        var request = new SwitchoverRequest("db2", "db3", 1, "0-1-10");
        var v = view(Optional.empty(), Optional.of(request), SELF_REPLICA, PEER_REPLICA);
        assertThat(cycle.run(readOnlyAlone(), v)).isEqualTo(new Outcome.Deferring("db3", "planned switchover target"));
        clock.advance(HaCycle.SWITCHOVER_TIMEOUT.plusSeconds(1));
        assertThat(cycle.run(readOnlyAlone(), v)).isInstanceOf(Outcome.PromotedSelf.class);
    }

    @Test
    void switchoverWhoseOldPrimaryDiedBeforeHandingOverIsAnOrdinaryFailoverWonByTheMostAdvanced() {
        var request = new SwitchoverRequest("db2", "db1", 1, ""); // db2 crashed before it stepped down
        var ahead = record("db3", Role.REPLICA, "0-1-136");
        assertThat(cycle.run(readOnlyAlone(), view(Optional.empty(), Optional.of(request), SELF_REPLICA, ahead)))
                .isInstanceOf(Outcome.Deferring.class);
        assertThat(lock.held).isFalse();
    }

    @Test
    void operatorFailoverToANamedMemberWithNoPrimaryAliveBindsTheOthers() {
        var request = new SwitchoverRequest("", "db3", 1, "");
        assertThat(cycle.run(readOnlyAlone(), view(Optional.empty(), Optional.of(request), SELF_REPLICA, PEER_REPLICA)))
                .isEqualTo(new Outcome.Deferring("db3", "planned switchover target"));
    }

    @Test
    void switchoverTargetTakesTheLockOnlyOnceItReachedTheFinalPosition() {
        var request = new SwitchoverRequest("db2", "db1", 1, "0-1-12");
        var v = view(Optional.empty(), Optional.of(request), SELF_REPLICA, PEER_REPLICA);
        db.reachesPosition = false;
        assertThat(cycle.run(replicaOf("127.0.0.12"), v)).isInstanceOf(Outcome.NotEligible.class);
        assertThat(lock.held).isFalse();
        db.reachesPosition = true;
        assertThat(cycle.run(replicaOf("127.0.0.12"), v)).isInstanceOf(Outcome.PromotedSelf.class);
    }

    // ---- following --------------------------------------------------------------------------------------------

    @Test
    void switchoverTargetWokenByTheHandOverTakesTheLockAsItIsReleasedInTheSameCycle() {
        lock.otherHolder = "db2";
        lock.otherReleasesWhileWaited = true;
        var handedOver = new SwitchoverRequest("db2", "db1", 1, "0-1-10", true);
        Outcome o = cycle.run(replicaOf("127.0.0.12"), view(Optional.of("db2"), Optional.of(handedOver), SELF_REPLICA, PRIMARY_DB2));
        assertThat(o).isEqualTo(new Outcome.PromotedSelf("db2", "planned switchover from db2"));
        assertThat(lock.waits).isEqualTo(1);
        assertThat(db.steps).containsExactly("awaitPosition 0-1-10", "stopReceiver", "awaitRelayLogApplied", "detachReplication", "prepareWrites", "allowWrites");
    }

    @Test
    void switchoverTargetStopsReplicatingWhileTheOldPrimaryReleasesTheLock() {
        lock.otherHolder = "db2";
        lock.otherReleasesWhileWaited = true;
        List<String> doneBeforeTheLock = new ArrayList<>();
        lock.onWait = () -> doneBeforeTheLock.addAll(db.steps);
        var handedOver = new SwitchoverRequest("db2", "db1", 1, "0-1-10", true);
        Outcome o = cycle.run(replicaOf("127.0.0.12"), view(Optional.of("db2"), Optional.of(handedOver), SELF_REPLICA, PRIMARY_DB2));
        assertThat(o).isEqualTo(new Outcome.PromotedSelf("db2", "planned switchover from db2"));
        assertThat(doneBeforeTheLock).containsExactly("awaitPosition 0-1-10", "stopReceiver", "awaitRelayLogApplied", "detachReplication");
        assertThat(db.steps).endsWith("prepareWrites", "allowWrites");
    }

    @Test
    void switchoverTargetWhoseOldPrimaryNeverReleasesTheLockGoesOnFollowingIt() {
        lock.otherHolder = "db2";
        var handedOver = new SwitchoverRequest("db2", "db1", 1, "0-1-10", true);
        Outcome o = cycle.run(replicaOf("127.0.0.12"), view(Optional.of("db2"), Optional.of(handedOver), SELF_REPLICA, PRIMARY_DB2));
        assertThat(o).isInstanceOf(Outcome.Following.class);
        assertThat(lock.held).isFalse();
        assertThat(db.steps).doesNotContain("prepareWrites", "allowWrites");
        // Replication was stopped for the hand-over that did not come; the old primary leads again and cleared the
        // request: the next cycle points replication at it again.
        db.steps.clear();
        assertThat(cycle.run(readOnlyAlone(), view(Optional.of("db2"), SELF_REPLICA, PRIMARY_DB2))).isEqualTo(new Outcome.Repointed("db2"));
        assertThat(db.steps).anyMatch(step -> step.startsWith("follow 127.0.0.12"));
    }

    @Test
    void replicaNotNamedByAHandOverFollowsWithoutWaitingForTheLock() {
        lock.otherHolder = "db2";
        var handedOver = new SwitchoverRequest("db2", "db3", 1, "0-1-10", true);
        cycle.run(replicaOf("127.0.0.12"), view(Optional.of("db2"), Optional.of(handedOver), SELF_REPLICA, PRIMARY_DB2, PEER_REPLICA));
        assertThat(lock.waits).isZero();
    }

    @Test
    void pausedClustersSwitchoverTargetDoesNotWaitForTheLock() {
        lock.otherHolder = "db2";
        var handedOver = new SwitchoverRequest("db2", "db1", 1, "0-1-10", true);
        var paused = new ClusterView(new TreeMap<>(Map.of("db1", SELF_REPLICA, "db2", PRIMARY_DB2)), Optional.of("db2"), true,
                Optional.of(handedOver), Optional.empty(), Optional.of("db1"));
        cycle.run(replicaOf("127.0.0.12"), paused);
        assertThat(lock.waits).isZero();
    }

    @Test
    void replicaRepointsToANewPrimary() {
        assertThat(cycle.run(readOnlyAlone(), view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA))).isEqualTo(new Outcome.Repointed("db2"));
        assertThat(db.followed.host()).isEqualTo("127.0.0.12");
        assertThat(cycle.run(replicaOf("127.0.0.12"), view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA)))
                .isEqualTo(new Outcome.Following("db2"));
    }

    @Test
    void replicaWaitsForANewPrimaryToPublishItselfAsPrimary() {
        var stillReplica = record("db2", Role.REPLICA, "0-1-10");
        assertThat(cycle.run(readOnlyAlone(), view(Optional.of("db2"), stillReplica, SELF_REPLICA))).isInstanceOf(Outcome.Following.class);
        assertThat(db.steps).isEmpty();
    }

    @Test
    void returningMemberWithTransactionsThePrimaryNeverHadIsRebuilt() {
        var mine = reading(true, "0-1-10,0-11-3", ReplicationStatus.notConfigured());
        Outcome o = cycle.run(mine, view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA));
        assertThat(o).isInstanceOf(Outcome.Diverged.class);
        assertThat(rebuilds).containsExactly("db2:ERRANT_TRANSACTIONS");
        assertThat(db.followed).isNull();
    }

    @Test
    void returningMemberWithErrantTransactionsIsHeldWhenOnErrantIsHold() throws Exception {
        cycle = cycle("onErrant: hold");
        var mine = reading(true, "0-1-10,0-11-3", ReplicationStatus.notConfigured());
        assertThat(cycle.run(mine, view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA))).isInstanceOf(Outcome.Diverged.class);
        assertThat(cycle.run(mine, view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA))).isInstanceOf(Outcome.Diverged.class);
        assertThat(rebuilds).isEmpty();
        assertThat(db.followed).isNull();
    }

    @Test
    void divergedMemberHeldForAnOperatorNeverTakesAFreeLockAfterThePrimaryDies() throws Exception {
        cycle = cycle("onErrant: hold");
        cycle.run(readOnlyAlone(), view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA));
        var withLocalWrite = reading(true, "0-1-10,0-11-11", replicating("127.0.0.12", true, 0, ""));
        assertThat(cycle.run(withLocalWrite, view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA))).isInstanceOf(Outcome.Diverged.class);
        assertThat(cycle.diverged()).isTrue();
        var ahead = record("db1", Role.REPLICA, "0-1-10,0-11-11");
        assertThat(cycle.run(withLocalWrite, view(Optional.empty(), ahead, PEER_REPLICA))).isInstanceOf(Outcome.NotEligible.class);
        assertThat(lock.held).isFalse();
    }

    @Test
    void transactionWrittenStraightIntoARunningReplicaIsFoundWhileItReplicates() {
        cycle.run(readOnlyAlone(), view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA));
        var withLocalWrite = reading(true, "0-1-10,0-11-11", replicating("127.0.0.12", true, 0, ""));
        Outcome o = cycle.run(withLocalWrite, view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA));
        assertThat(o).isInstanceOf(Outcome.Diverged.class);
        assertThat(rebuilds).containsExactly("db2:ERRANT_TRANSACTIONS");
    }

    /**
     * Fault campaign seed 31 (DISK_FULL): the primary's database stalled on a full disk; its agent published a record
     * from a reading that got no answer, with no GTIDs in it, and the former primary replicating from it took its own
     * old writes for errant transactions and rebuilt itself. A record read from a database that does not answer says
     * nothing about history: divergence is judged only against a primary whose database answers.
     */
    @Test
    void formerPrimaryIsNotRebuiltWhenThePrimarysDatabaseStopsAnsweringOnAFullDisk() {
        var formerPrimary = reading(true, "0-1-10,0-11-7845", replicating("127.0.0.12", true, 0, ""));
        var withHistory = record("db2", Role.PRIMARY, "0-1-10,0-11-7845,0-12-7900");
        cycle.run(formerPrimary, view(Optional.of("db2"), withHistory, SELF_REPLICA));
        MemberRecord stalled = new MemberRecord("db2", "127.0.0.12", 3306, 8008, 4444, Role.PRIMARY, MemberState.UNHEALTHY, false,
                false, "", "", -1, "10.11.6", "no answer within 4000 ms", 100, false, "", 0);
        Outcome o = cycle.run(formerPrimary, view(Optional.of("db2"), stalled, SELF_REPLICA));
        assertThat(o).isInstanceOf(Outcome.Following.class);
        assertThat(rebuilds).isEmpty();
        assertThat(cycle.diverged()).isFalse();
    }

    @Test
    void returningMemberDoesNotJudgeItsHistoryAgainstAPrimaryWhoseDatabaseDoesNotAnswer() {
        var returning = reading(true, "0-1-10,0-11-3", ReplicationStatus.notConfigured());
        MemberRecord stalled = new MemberRecord("db2", "127.0.0.12", 3306, 8008, 4444, Role.PRIMARY, MemberState.UNHEALTHY, false,
                false, "", "", -1, "10.11.6", "no answer within 4000 ms", 100, false, "", 0);
        Outcome o = cycle.run(returning, view(Optional.of("db2"), stalled, SELF_REPLICA));
        assertThat(o).isEqualTo(new Outcome.Following("db2 (waiting for its database to answer)"));
        assertThat(rebuilds).isEmpty();
        assertThat(db.followed).isNull();
    }

    @Test
    void replicaAheadOfThePrimarysPublishedRecordIsNotErrant() {
        cycle.run(readOnlyAlone(), view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA));
        var ahead = reading(true, "0-1-14", replicating("127.0.0.12", true, 0, ""));
        assertThat(cycle.run(ahead, view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA))).isEqualTo(new Outcome.Following("db2"));
    }

    /**
     * Fault campaign seed 501 (a switchover, the target's agent frozen just after it opened writes): a peer still chained
     * to the old primary received the new primary's first writes before the new primary's record showed them, and took
     * them for errant transactions. A primary's own writes are never errant, however far ahead of its record they run.
     */
    @Test
    void peerHoldingTheNewPrimarysFirstWritesBeforeItsRecordShowsThemIsNotRebuilt() {
        MemberRecord newPrimary = new MemberRecord("db2", "127.0.0.12", 3306, 8008, 4444, Role.PRIMARY, MemberState.RUNNING, true, true,
                "0-1-10", "0-1-10", 0, "10.11.6", "", 100, false, "", 0, "", false, 12);
        var chained = reading(true, "0-1-10,0-12-12", replicating("127.0.0.13", true, 0, ""));
        Outcome o = cycle.run(chained, view(Optional.of("db2"), newPrimary, SELF_REPLICA));
        assertThat(o).isEqualTo(new Outcome.Repointed("db2"));
        assertThat(rebuilds).isEmpty();
    }

    @Test
    void writesOfAnotherOriginThanThePrimaryAreStillErrant() {
        MemberRecord newPrimary = new MemberRecord("db2", "127.0.0.12", 3306, 8008, 4444, Role.PRIMARY, MemberState.RUNNING, true, true,
                "0-1-10", "0-1-10", 0, "10.11.6", "", 100, false, "", 0, "", false, 12);
        var strayWrite = reading(true, "0-1-10,0-11-11", ReplicationStatus.notConfigured());
        assertThat(cycle.run(strayWrite, view(Optional.of("db2"), newPrimary, SELF_REPLICA))).isInstanceOf(Outcome.Diverged.class);
        assertThat(rebuilds).containsExactly("db2:ERRANT_TRANSACTIONS");
    }

    /**
     * Fault campaign seed 501 (the primary's disk filled): a replica's receiver stopped with "Relay log write failure:
     * could not queue event from master" (1595), which the server never retries; it stayed down until the campaign gave
     * up on it. Re-pointed from the applied position, with backoff.
     */
    @Test
    void replicaWhoseReceiverStoppedOnAnErrorIsRepointedWithBackoff() {
        cycle.run(readOnlyAlone(), view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA));
        db.steps.clear();
        var stopped = reading(true, "0-1-10", replicating("127.0.0.12", false, 1595, "Relay log write failure: could not queue event from master"));
        assertThat(cycle.run(stopped, view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA))).isEqualTo(new Outcome.Repointed("db2"));
        assertThat(db.steps).containsExactly("follow 127.0.0.12 from 0-1-10");
        db.steps.clear();
        assertThat(cycle.run(stopped, view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA))).isInstanceOf(Outcome.Following.class);
        assertThat(db.steps).isEmpty();
        clock.advance(Duration.ofSeconds(3));
        assertThat(cycle.run(stopped, view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA))).isEqualTo(new Outcome.Repointed("db2"));
        clock.advance(Duration.ofSeconds(3));
        assertThat(cycle.run(stopped, view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA))).as("the second wait is 4 s")
                .isInstanceOf(Outcome.Following.class);
    }

    /**
     * FaultScenariosTest, seed 501 (the primary's disk full): the primary kept a torn event in its binlog, and every
     * replica's receiver stopped on it ("log event entry exceeded max_allowed_packet", 1236) however often it was
     * re-pointed. After three re-points the member is rebuilt by live clone, past the torn event.
     */
    @Test
    void replicaThatCannotReadThePrimarysBinlogAfterThreeRepointsIsRebuilt() {
        cycle.run(readOnlyAlone(), view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA));
        var torn = reading(true, "0-1-10", replicating("127.0.0.12", false, 1236, "Got fatal error 1236 from master when reading data from"
                + " binary log: 'log event entry exceeded max_allowed_packet; Increase max_allowed_packet on master'"));
        for (int seconds : new int[] {0, 3, 5}) {
            clock.advance(Duration.ofSeconds(seconds));
            assertThat(cycle.run(torn, view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA))).isEqualTo(new Outcome.Repointed("db2"));
        }
        assertThat(rebuilds).isEmpty();
        clock.advance(Duration.ofSeconds(9));
        assertThat(cycle.run(torn, view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA))).isInstanceOf(Outcome.FellBehind.class);
        assertThat(rebuilds).containsExactly("db2:BINLOG_UNREADABLE");
    }

    @Test
    void replicaThatCannotQueueThePrimarysEventsAfterThreeRepointsIsRebuilt() {
        cycle.run(readOnlyAlone(), view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA));
        var torn = reading(true, "0-1-10", replicating("127.0.0.12", false, 1595, "Relay log write failure: could not queue event from master"));
        for (int seconds : new int[] {0, 3, 5, 9}) {
            clock.advance(Duration.ofSeconds(seconds));
            cycle.run(torn, view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA));
        }
        assertThat(rebuilds).containsExactly("db2:BINLOG_UNREADABLE");
    }

    @Test
    void progressBetweenReceiverErrorsStartsTheCountAfresh() {
        cycle.run(readOnlyAlone(), view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA));
        for (int i = 0; i < 6; i++) {
            clock.advance(Duration.ofSeconds(61));
            var stopped = reading(true, "0-1-" + (10 + i), replicating("127.0.0.12", false, 1595, "could not queue event"));
            assertThat(cycle.run(stopped, view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA))).isEqualTo(new Outcome.Repointed("db2"));
        }
        assertThat(rebuilds).isEmpty();
    }

    /**
     * Fault campaign seed 502 (a replica's disk full): its applier stopped with "The table 'w' is full" (1114) and stayed
     * stopped after the disk had room again. Restarted with backoff; a restart retries the event, never skips it.
     */
    @Test
    void replicaWhoseApplierStoppedOnAnErrorIsRestartedWithBackoff() {
        cycle.run(readOnlyAlone(), view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA));
        db.steps.clear();
        var full = new ReplicationStatus(true, ReplicationStatus.IoState.RUNNING, false, 0, "", 1114, "The table 'w' is full",
                Optional.of(0L), "127.0.0.12", 3306, "", "");
        var stopped = reading(true, "0-1-10", full);
        assertThat(cycle.run(stopped, view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA))).isInstanceOf(Outcome.Following.class);
        assertThat(db.steps).containsExactly("startReplica");
        db.steps.clear();
        cycle.run(stopped, view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA));
        assertThat(db.steps).as("within the backoff").isEmpty();
        clock.advance(Duration.ofSeconds(3));
        cycle.run(stopped, view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA));
        assertThat(db.steps).containsExactly("startReplica");
        assertThat(rebuilds).isEmpty();
    }

    /**
     * FaultScenariosTest, seed 501 (the primary's disk full, CI on 15adbe7): the full primary's binlog kept a torn event
     * and was promoted again; its dump threads hung on the event without an error, so both replicas stayed "connected" at
     * 0-1-495 while it went on alone (semi-sync fell back to async) until the campaign gave up. A connected receiver that
     * fetches nothing for 15 s while the primary holds more is re-pointed, and after three re-points rebuilt.
     */
    @Test
    void replicaConnectedToAPrimaryWhoseDumpThreadHangsIsRepointedThenRebuilt() {
        cycle.run(readOnlyAlone(), view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA));
        MemberRecord ahead = record("db2", Role.PRIMARY, "0-1-19668");
        var connected = replicaOf("127.0.0.12");
        db.steps.clear();
        assertThat(cycle.run(connected, view(Optional.of("db2"), ahead, SELF_REPLICA))).isEqualTo(new Outcome.Following("db2"));
        clock.advance(Duration.ofSeconds(14));
        assertThat(cycle.run(connected, view(Optional.of("db2"), ahead, SELF_REPLICA))).as("within the 15 s").isEqualTo(new Outcome.Following("db2"));
        assertThat(db.steps).isEmpty();
        for (int seconds : new int[] {1, 2, 4}) {
            clock.advance(Duration.ofSeconds(seconds));
            assertThat(cycle.run(connected, view(Optional.of("db2"), ahead, SELF_REPLICA))).isEqualTo(new Outcome.Repointed("db2"));
        }
        assertThat(db.steps).containsExactly("follow 127.0.0.12 from 0-1-10", "follow 127.0.0.12 from 0-1-10", "follow 127.0.0.12 from 0-1-10");
        assertThat(rebuilds).isEmpty();
        clock.advance(Duration.ofSeconds(8));
        assertThat(cycle.run(connected, view(Optional.of("db2"), ahead, SELF_REPLICA))).isInstanceOf(Outcome.FellBehind.class);
        assertThat(rebuilds).containsExactly("db2:BINLOG_UNREADABLE");
    }

    @Test
    void replicaThatKeepsFetchingIsNotStalledHoweverFarBehind() {
        cycle.run(readOnlyAlone(), view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA));
        MemberRecord ahead = record("db2", Role.PRIMARY, "0-1-19668");
        db.steps.clear();
        for (int i = 0; i < 10; i++) {
            clock.advance(Duration.ofSeconds(10));
            var fetching = reading(true, "0-1-" + (10 + i), replicating("127.0.0.12", true, 0, ""));
            assertThat(cycle.run(fetching, view(Optional.of("db2"), ahead, SELF_REPLICA))).isEqualTo(new Outcome.Following("db2"));
        }
        assertThat(db.steps).isEmpty();
    }

    /** A large transaction: its GTID arrives only with its last event, but the binlog offset read keeps moving. */
    @Test
    void replicaReceivingOneLargeTransactionIsNotStalled() {
        cycle.run(readOnlyAlone(), view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA));
        MemberRecord ahead = record("db2", Role.PRIMARY, "0-1-11");
        db.steps.clear();
        for (int i = 0; i < 8; i++) {
            clock.advance(Duration.ofSeconds(10));
            var receiving = reading(true, "0-1-10", new ReplicationStatus(true, ReplicationStatus.IoState.RUNNING, true, 0, "", 0, "",
                    Optional.of(0L), "127.0.0.12", 3306, "", "Slave has read all relay log", "binlog.000001:" + (4 + i * 100_000_000L)));
            assertThat(cycle.run(receiving, view(Optional.of("db2"), ahead, SELF_REPLICA))).isEqualTo(new Outcome.Following("db2"));
        }
        assertThat(db.steps).isEmpty();
        assertThat(rebuilds).isEmpty();
    }

    @Test
    void replicaThatHasEverythingThePrimaryHasIsNotStalledHoweverQuiet() {
        cycle.run(readOnlyAlone(), view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA));
        db.steps.clear();
        for (int i = 0; i < 5; i++) {
            clock.advance(Duration.ofSeconds(30));
            assertThat(cycle.run(replicaOf("127.0.0.12"), view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA))).isEqualTo(new Outcome.Following("db2"));
        }
        assertThat(db.steps).isEmpty();
    }

    /** FaultScenariosTest: the receiver fetched nothing while the primary's database stalled on its full disk; not a stall. */
    @Test
    void timeThePrimarysDatabaseDidNotAnswerDoesNotCountAsAStall() {
        cycle.run(readOnlyAlone(), view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA));
        MemberRecord stalled = new MemberRecord("db2", "127.0.0.12", 3306, 8008, 4444, Role.PRIMARY, MemberState.RUNNING, false, true,
                "0-1-12", "0-1-12", 0, "10.11.6", "", 100, false, "", 0);
        MemberRecord ahead = record("db2", Role.PRIMARY, "0-1-19668");
        var connected = replicaOf("127.0.0.12");
        cycle.run(connected, view(Optional.of("db2"), ahead, SELF_REPLICA));
        for (int i = 0; i < 4; i++) {
            clock.advance(Duration.ofSeconds(5));
            cycle.run(connected, view(Optional.of("db2"), stalled, SELF_REPLICA));
        }
        db.steps.clear();
        assertThat(cycle.run(connected, view(Optional.of("db2"), ahead, SELF_REPLICA))).isEqualTo(new Outcome.Following("db2"));
        clock.advance(Duration.ofSeconds(14));
        assertThat(cycle.run(connected, view(Optional.of("db2"), ahead, SELF_REPLICA))).isEqualTo(new Outcome.Following("db2"));
        assertThat(db.steps).isEmpty();
    }

    /** A silent network: the server drops the connection after slave_net_timeout and reconnects; that is not a stall. */
    @Test
    void replicaWhoseReceiverIsReconnectingIsNotStalled() {
        cycle.run(readOnlyAlone(), view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA));
        MemberRecord ahead = record("db2", Role.PRIMARY, "0-1-19668");
        var reconnecting = reading(true, "0-1-10", new ReplicationStatus(true, ReplicationStatus.IoState.CONNECTING, true, 2003,
                "Can't connect to server on '127.0.0.12' (110)", 0, "", Optional.empty(), "127.0.0.12", 3306, "", "Slave has read all relay log"));
        db.steps.clear();
        for (int i = 0; i < 6; i++) {
            clock.advance(Duration.ofSeconds(10));
            assertThat(cycle.run(reconnecting, view(Optional.of("db2"), ahead, SELF_REPLICA))).isEqualTo(new Outcome.Following("db2"));
        }
        assertThat(db.steps).isEmpty();
        assertThat(rebuilds).isEmpty();
    }

    @Test
    void replicaWhosePositionThePrimaryPurgedIsRebuilt() {
        cycle.run(readOnlyAlone(), view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA));
        var purged = reading(true, "0-1-10", replicating("127.0.0.12", false, 1236, "binlog files have been purged"));
        assertThat(cycle.run(purged, view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA))).isInstanceOf(Outcome.FellBehind.class);
        assertThat(rebuilds).containsExactly("db2:BINLOGS_PURGED");
    }

    @Test
    void replicaWhoseReceiverStoppedWithoutErrorIsRestarted() {
        cycle.run(readOnlyAlone(), view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA));
        db.steps.clear();
        var stopped = reading(true, "0-1-10", replicating("127.0.0.12", false, 0, ""));
        assertThat(cycle.run(stopped, view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA))).isEqualTo(new Outcome.Following("db2"));
        assertThat(db.steps).containsExactly("startReplica");
    }

    @Test
    void storeErrorsFromTheRulesPropagateToTheLoop() {
        lock.releaseFailure = new CoordinationException("etcd unreachable", null);
        leading();
        db.alive = false;
        // release() failing must not stop the member from giving up the role: the lease expires by itself.
        assertThat(cycle.run(DatabaseReading.unreachable("gone"), view(Optional.of("db1"), SELF_REPLICA)))
                .isInstanceOf(Outcome.ReleasedLock.class);
    }

    // ---- failsafe (failover.failsafe) ----------------------------------------------------------------------------

    private static final MemberRecord REPLICA_DB2 = record("db2", Role.REPLICA, "0-1-10");

    /** db1 leading with replicas db2 and db3, failsafe on, the store silent for longer than two loop intervals. */
    private void leadingWithFailsafeAndTheStoreSilent() throws Exception {
        cycle = cycle("failsafe: on");
        lock.held = true;
        assertThat(cycle.run(readOnlyAlone(), view(Optional.of("db1"), SELF_REPLICA, REPLICA_DB2, PEER_REPLICA)))
                .isEqualTo(new Outcome.Leading());
        db.steps.clear();
        clock.advance(Duration.ofMillis(1100));
        assertThat(cycle.failsafeDue()).isTrue();
    }

    @Test
    void storeDownAndEveryMemberConfirmsFailsafeKeepsThePrimaryWritablePastItsLease() throws Exception {
        leadingWithFailsafeAndTheStoreSilent();
        peers.answering.addAll(List.of("db2", "db3"));
        cycle.failsafeRound();
        assertThat(peers.rounds).containsExactly(List.of("db2", "db3"));
        assertThat(peers.windows).containsExactly(Duration.ofSeconds(4)); // W = lock.ttl

        clock.advance(Duration.ofMillis(900));
        lock.held = false; // the lease deadline passed by this member's clock
        cycle.onLeaseLost("no renewal within ttl - safety margin");
        assertThat(db.steps).doesNotContain("fence");
        assertThat(cycle.withoutStore(writable(), "etcd unreachable")).isEqualTo(new Outcome.FailsafeLeading(List.of("db2", "db3")));
        assertThat(cycle.leadsUnderFailsafe()).isTrue();
        assertThat(cycle.failsafeDeadline()).isPresent();
        assertThat(db.steps).isEmpty();
    }

    @Test
    void storeDownAndOneMemberUnreachableFencesAtTheLeaseDeadline() throws Exception {
        leadingWithFailsafeAndTheStoreSilent();
        peers.answering.add("db2"); // db3's agent does not answer
        cycle.failsafeRound();
        lock.held = false;
        cycle.onLeaseLost("no renewal within ttl - safety margin");
        assertThat(db.steps).containsExactly("fence");
        assertThat(cycle.leadsUnderFailsafe()).isFalse();
        assertThat(cycle.run(readOnlyAlone(), view(Optional.empty(), SELF_REPLICA))).isEqualTo(new Outcome.Fenced("lease lost"));
    }

    @Test
    void failsafeConfirmationsThatRunOutFenceAtTheOldestConfirmationPlusWindowMinusMargin() throws Exception {
        leadingWithFailsafeAndTheStoreSilent();
        peers.answering.addAll(List.of("db2", "db3"));
        long firstRound = clock.nanos.get();
        cycle.failsafeRound();
        lock.held = false;
        cycle.onLeaseLost("no renewal within ttl - safety margin");
        assertThat(alarm.armed()).isTrue();

        clock.advance(Duration.ofMillis(500));
        peers.answering.remove("db3"); // db3 stops answering: its last confirmation is the first round's
        cycle.failsafeRound();
        // W (4 s) - safety margin (1 s) after the send of db3's last confirmed request, not after db2's newer one
        assertThat(cycle.failsafeDeadline()).hasValue(firstRound + Duration.ofSeconds(3).toNanos());

        clock.nanos.set(firstRound + Duration.ofSeconds(3).toNanos() - 1);
        assertThat(alarm.fireIfPassed()).isFalse();
        assertThat(cycle.withoutStore(writable(), "etcd unreachable")).isInstanceOf(Outcome.FailsafeLeading.class);
        assertThat(db.steps).isEmpty();

        clock.advance(Duration.ofNanos(1));
        assertThat(alarm.fireIfPassed()).isTrue();
        assertThat(db.steps).containsExactly("fence");
        assertThat(cycle.leadsUnderFailsafe()).isFalse();
        // later rounds never reopen anything: no lock, no failsafe
        cycle.failsafeRound();
        assertThat(db.steps).doesNotContain("allowWrites");
    }

    @Test
    void failsafePrimaryWhoseConfirmationsRanOutBetweenAlarmsIsFencedByTheNextCycle() throws Exception {
        leadingWithFailsafeAndTheStoreSilent();
        peers.answering.addAll(List.of("db2", "db3"));
        cycle.failsafeRound();
        lock.held = false;
        cycle.onLeaseLost("no renewal within ttl - safety margin");
        clock.advance(Duration.ofSeconds(4));
        Outcome o = cycle.withoutStore(writable(), "etcd unreachable");
        assertThat(o).isInstanceOf(Outcome.Fenced.class);
        assertThat(db.steps).containsExactly("fence");
    }

    @Test
    void storeBackAfterAFailsafeOutageTakesTheLockBackWithoutFencingOrReopening() throws Exception {
        leadingWithFailsafeAndTheStoreSilent();
        peers.answering.addAll(List.of("db2", "db3"));
        cycle.failsafeRound();
        lock.held = false;
        cycle.onLeaseLost("no renewal within ttl - safety margin");
        // the lost lease was revoked when the store answered: the lock is free
        assertThat(cycle.run(writable(), view(Optional.empty(), record("db1", Role.PRIMARY, "0-1-10"), REPLICA_DB2)))
                .isEqualTo(new Outcome.Leading());
        assertThat(lock.held).isTrue();
        assertThat(cycle.leadsUnderFailsafe()).isFalse();
        assertThat(db.steps).isEmpty();
    }

    @Test
    void storeBackWithAnotherMemberHoldingTheLockEndsFailsafeAndFences() throws Exception {
        leadingWithFailsafeAndTheStoreSilent();
        peers.answering.addAll(List.of("db2", "db3"));
        cycle.failsafeRound();
        lock.held = false;
        cycle.onLeaseLost("no renewal within ttl - safety margin");
        assertThat(cycle.run(writable(), view(Optional.of("db4"), record("db4", Role.PRIMARY, "0-1-10"), REPLICA_DB2)))
                .isEqualTo(new Outcome.Fenced("db4 holds the leader lock"));
        assertThat(db.steps).containsExactly("fence");
    }

    @Test
    void replicaThatConfirmedFailsafeRefusesToTakeTheFreeLockWithinTheWindow() {
        cycle.confirmFailsafe("db2", Duration.ofSeconds(4));
        ClusterView lockFree = view(Optional.empty(), SELF_REPLICA, PEER_REPLICA);
        Outcome o = cycle.run(readOnlyAlone(), lockFree);
        assertThat(o).isInstanceOf(Outcome.Deferring.class);
        assertThat(((Outcome.Deferring) o).candidate()).isEqualTo("db2");
        clock.advance(Duration.ofMillis(3999));
        assertThat(cycle.run(readOnlyAlone(), lockFree)).isInstanceOf(Outcome.Deferring.class);
        assertThat(lock.held).isFalse();
        clock.advance(Duration.ofMillis(1));
        assertThat(cycle.run(readOnlyAlone(), lockFree)).isInstanceOf(Outcome.PromotedSelf.class);
    }

    @Test
    void aFailsafePrimaryPublishesTheRosterItAsksOnceAndAgainWhenItChanges() throws Exception {
        cycle = cycle("failsafe: on");
        lock.held = true;
        cycle.run(readOnlyAlone(), view(Optional.of("db1"), SELF_REPLICA, REPLICA_DB2));
        var published = new dev.autopilot.agent.cluster.FailsafeRoster(List.of("db1", "db2"), "db1");
        assertThat(store.failsafeRosters).containsExactly(published);
        cycle.run(writable(), view(Optional.of("db1"), SELF_REPLICA, REPLICA_DB2).withFailsafeRoster(published));
        assertThat(store.failsafeRosters).as("unchanged: not written again").hasSize(1);
        cycle.run(writable(), view(Optional.of("db1"), SELF_REPLICA, REPLICA_DB2, PEER_REPLICA).withFailsafeRoster(published));
        assertThat(store.failsafeRosters).last().isEqualTo(new dev.autopilot.agent.cluster.FailsafeRoster(List.of("db1", "db2", "db3"), "db1"));
    }

    @Test
    void aMemberMissingFromThePublishedFailsafeRosterDoesNotTakeTheFreeLock() throws Exception {
        cycle = cycle("failsafe: on");
        ClusterView lockFree = view(Optional.empty(), SELF_REPLICA, PEER_REPLICA)
                .withFailsafeRoster(new dev.autopilot.agent.cluster.FailsafeRoster(List.of("db2", "db3"), "db2"));
        Outcome o = cycle.run(readOnlyAlone(), lockFree);
        assertThat(o).isInstanceOf(Outcome.NotEligible.class);
        assertThat(((Outcome.NotEligible) o).reason()).contains("not in the failsafe roster [db2, db3] published by db2");
        assertThat(lock.held).isFalse();
    }

    @Test
    void withFailsafeOffAPublishedRosterIsIgnoredAndNoneIsWritten() {
        ClusterView lockFree = view(Optional.empty(), SELF_REPLICA, PEER_REPLICA)
                .withFailsafeRoster(new dev.autopilot.agent.cluster.FailsafeRoster(List.of("db2", "db3"), "db2"));
        assertThat(cycle.run(readOnlyAlone(), lockFree)).isInstanceOf(Outcome.PromotedSelf.class);
        cycle.run(writable(), view(Optional.of("db1"), SELF_REPLICA, PEER_REPLICA));
        assertThat(store.failsafeRosters).isEmpty();
    }

    @Test
    void memberHoldingTheLockRefusesToConfirmFailsafe() {
        leading();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> cycle.confirmFailsafe("db2", Duration.ofSeconds(4)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("leads itself");
    }

    @Test
    void failsafeOffFencesAtTheLeaseDeadlineAsBefore() {
        leading();
        peers.answering.addAll(List.of("db3"));
        clock.advance(Duration.ofSeconds(2));
        assertThat(cycle.failsafeDue()).isFalse();
        cycle.failsafeRound();
        assertThat(peers.rounds).isEmpty();
        lock.held = false;
        cycle.onLeaseLost("no renewal within ttl - safety margin");
        assertThat(db.steps).containsExactly("fence");
        assertThat(cycle.withoutStore(readOnlyAlone(), "etcd unreachable")).isNotInstanceOf(Outcome.FailsafeLeading.class);
    }

    @Test
    void failsafeRoundsStartOnlyOnceTheStoreIsSilentForALoopIntervalAndAHalfAfterOneProbePerRoster() throws Exception {
        cycle = cycle("failsafe: on");
        lock.held = true;
        cycle.run(readOnlyAlone(), view(Optional.of("db1"), SELF_REPLICA, REPLICA_DB2));
        clock.advance(Duration.ofMillis(700));
        cycle.failsafeRound();
        cycle.failsafeRound();
        // one probe of a 1 ms promise (warms both ends), then nothing in normal operation: a crashed primary's replicas
        // wait for no promise
        assertThat(peers.rounds).containsExactly(List.of("db2"));
        assertThat(peers.windows).containsExactly(Duration.ofMillis(1));
        assertThat(cycle.failsafeDeadline()).isEmpty();
        clock.advance(Duration.ofMillis(100));
        cycle.failsafeRound();
        assertThat(peers.windows).containsExactly(Duration.ofMillis(1), Duration.ofSeconds(4));
    }

    // ---- anti-flapping -------------------------------------------------------------------------------------------

    private ClusterView lockFreeAfterOwnPromotion(MemberRecord... members) {
        var map = new TreeMap<String, MemberRecord>();
        for (MemberRecord m : members) {
            map.put(m.name(), m);
        }
        Promotion recent = new Promotion("db1", "db2", "lock was free", clock.millis.get() - Duration.ofMinutes(1).toMillis());
        return new ClusterView(map, Optional.empty(), false, Optional.empty(), Optional.of(recent), Optional.of("db1"));
    }

    @Test
    void lastPromotedMemberAloneEligibleAfterAStoreBlipIsPromotedAgainWithinThePromotionWindow() {
        MemberRecord db2Down = new MemberRecord("db2", "127.0.0.12", 3306, 8008, 4444, Role.REPLICA, MemberState.UNHEALTHY, false,
                false, "0-1-10", "0-1-10", 0, "10.11.6", "no answer", 100, false, "", 0);
        assertThat(cycle.run(readOnlyAlone(), lockFreeAfterOwnPromotion(SELF_REPLICA, db2Down)))
                .isInstanceOf(Outcome.PromotedSelf.class);
    }

    @Test
    void lastPromotedMemberStaysOutWithinThePromotionWindowWhileAnotherCanTakeOver() {
        Outcome o = cycle.run(readOnlyAlone(), lockFreeAfterOwnPromotion(SELF_REPLICA, REPLICA_DB2));
        assertThat(o).isInstanceOf(Outcome.NotEligible.class);
        assertThat(((Outcome.NotEligible) o).reason()).contains("promotionWindow");
    }

    // ---- zero-loss mode -----------------------------------------------------------------------------------------

    @Test
    void zeroLossReplicaTaggedNofailoverNeverAcknowledgesWrites() throws Exception {
        cycle = cycle("", "noFailover: true", "zeroLoss: true");
        cycle.run(readOnlyAlone(), view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA));
        assertThat(db.steps).startsWith("acknowledge false");
        db.steps.clear();
        cycle.run(replicaOf("127.0.0.12"), view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA));
        assertThat(db.steps).doesNotContain("acknowledge true");
    }

    @Test
    void zeroLossReplicaLaggingPastMaximumLagStopsAcknowledgingAndResumesWhenCaughtUp() throws Exception {
        cycle = cycle("maximumLag: 10s", "", "zeroLoss: true");
        cycle.run(readOnlyAlone(), view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA));
        assertThat(db.steps).startsWith("acknowledge true");
        db.steps.clear();
        var lagging = new DatabaseReading(true, true, GtidPosition.parse("0-1-10"), GtidPosition.parse("0-1-10"), GtidPosition.empty(),
                new ReplicationStatus(true, ReplicationStatus.IoState.RUNNING, true, 0, "", 0, "", Optional.of(60L), "127.0.0.12", 3306,
                        "", ""), "10.11.6", "");
        cycle.run(lagging, view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA));
        assertThat(db.steps).containsExactly("acknowledge false");
        db.steps.clear();
        cycle.run(replicaOf("127.0.0.12"), view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA));
        assertThat(db.steps).containsExactly("acknowledge true");
    }

    @Test
    void asynchronousReplicaNeverTouchesSemiSync() {
        cycle.run(readOnlyAlone(), view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA));
        cycle.run(replicaOf("127.0.0.12"), view(Optional.of("db2"), PRIMARY_DB2, SELF_REPLICA));
        assertThat(db.steps).noneMatch(step -> step.startsWith("acknowledge"));
    }

    @Test
    void zeroLossPrimaryThatFellBackToAsynchronousReplicationSaysSoInItsRecord() {
        leading();
        var fellBack = new DatabaseReading(true, false, GtidPosition.parse("0-1-10"), GtidPosition.parse("0-1-10"), GtidPosition.empty(),
                ReplicationStatus.notConfigured(), "10.11.6", "", true);
        assertThat(cycle.run(fellBack, view(Optional.of("db1"), SELF_REPLICA))).isEqualTo(new Outcome.Leading());
        assertThat(cycle.record(fellBack, MemberState.RUNNING).asyncFallback()).isTrue();
        assertThat(cycle.record(writable(), MemberState.RUNNING).asyncFallback()).isFalse();
    }

    @Test
    void zeroLossElectionHoldsWhileTheMostAdvancedMemberCannotBePromoted() throws Exception {
        cycle = cycle("", "", "zeroLoss: true");
        var broken = new MemberRecord("db3", "127.0.0.13", 3306, 8008, 4444, Role.REPLICA, MemberState.RUNNING, false, false,
                "0-1-12", "0-1-12", 0, "10.11.6", "SQL thread error", 100, false, "", 0);
        assertThat(cycle.run(readOnlyAlone(), view(Optional.empty(), SELF_REPLICA, broken))).isInstanceOf(Outcome.ElectionHeld.class);
        assertThat(lock.held).isFalse();
    }

    @Test
    void asyncElectionPromotesTheBestEligibleMemberEvenWhenAnIneligibleOneIsAhead() {
        var broken = new MemberRecord("db3", "127.0.0.13", 3306, 8008, 4444, Role.REPLICA, MemberState.RUNNING, false, false,
                "0-1-12", "0-1-12", 0, "10.11.6", "SQL thread error", 100, false, "", 0);
        assertThat(cycle.run(readOnlyAlone(), view(Optional.empty(), SELF_REPLICA, broken))).isInstanceOf(Outcome.PromotedSelf.class);
    }

    @Test
    void zeroLossElectionDoesNotWaitForANofailoverMemberThatNeverAcknowledged() throws Exception {
        cycle = cycle("", "", "zeroLoss: true");
        var tagged = new MemberRecord("db3", "127.0.0.13", 3306, 8008, 4444, Role.REPLICA, MemberState.RUNNING, true, true,
                "0-1-12", "0-1-12", 0, "10.11.6", "", 100, true, "", 0);
        assertThat(cycle.run(readOnlyAlone(), view(Optional.empty(), SELF_REPLICA, tagged))).isInstanceOf(Outcome.PromotedSelf.class);
    }
}
