package dev.autopilot.agent.ha;

import static org.assertj.core.api.Assertions.assertThat;

import dev.autopilot.agent.cluster.ClusterView;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.agent.cluster.MemberState;
import dev.autopilot.agent.cluster.Promotion;
import dev.autopilot.agent.cluster.Role;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The election rule of design section 3, rule 2, on hand-made cluster views. */
class ElectionTest {
    private final Election election = new Election(Duration.ofSeconds(30), Duration.ofMinutes(5));

    private static MemberRecord member(String name, String gtid, int priority, boolean noFailover, long lagMillis) {
        return new MemberRecord(name, "10.0.0." + name.charAt(2), 3306, 8008, 4444, Role.REPLICA, MemberState.RUNNING,
                true, true, gtid, gtid, lagMillis, "10.11", "", priority, noFailover, "", 0);
    }

    private static ClusterView view(MemberRecord... members) {
        Map<String, MemberRecord> map = new TreeMap<>();
        for (MemberRecord m : members) {
            map.put(m.name(), m);
        }
        return ClusterView.of(map, Optional.empty());
    }

    @Test
    void theMostAdvancedMemberTakesTheLockAndTheOthersDeferToIt() {
        var a = member("db1", "0-1-100", 100, false, 0);
        var b = member("db2", "0-1-104", 100, false, 0);
        var v = view(a, b);
        assertThat(election.decide(b, v, 0)).isInstanceOf(Election.Verdict.Take.class);
        assertThat(election.decide(a, v, 0)).isEqualTo(new Election.Verdict.Defer("db2", "more advanced: 0-1-104 vs 0-1-100"));
    }

    @Test
    void onEqualPositionsPriorityWinsThenTheName() {
        var a = member("db1", "0-1-100", 100, false, 0);
        var b = member("db2", "0-1-100", 200, false, 0);
        var c = member("db3", "0-1-100", 200, false, 0);
        var v = view(a, b, c);
        assertThat(election.decide(b, v, 0)).isInstanceOf(Election.Verdict.Take.class);
        assertThat(election.decide(c, v, 0)).isInstanceOf(Election.Verdict.Defer.class);
        assertThat(election.decide(a, v, 0)).isInstanceOf(Election.Verdict.Defer.class);
    }

    @Test
    void nofailoverLaggingAndRecentlyPromotedMembersAreNotEligibleNorDeferredTo() {
        var tagged = member("db1", "0-1-200", 100, true, 0);
        var lagging = member("db2", "0-1-300", 100, false, 60_000);
        var plain = member("db3", "0-1-100", 100, false, 0);
        var v = view(tagged, lagging, plain);
        assertThat(election.decide(tagged, v, 0)).isInstanceOf(Election.Verdict.Ineligible.class);
        assertThat(election.decide(lagging, v, 0)).isInstanceOf(Election.Verdict.Ineligible.class);
        assertThat(election.decide(plain, v, 0)).isInstanceOf(Election.Verdict.Take.class);

        var recent = new ClusterView(new TreeMap<>(Map.of("db3", plain)), Optional.empty(), false, Optional.empty(),
                Optional.of(new Promotion("db3", "db1", "lock was free", 1_000)), Optional.empty());
        assertThat(election.decide(plain, recent, 61_000)).isInstanceOf(Election.Verdict.Ineligible.class);
        assertThat(election.decide(plain, recent, 1_000 + Duration.ofMinutes(6).toMillis())).isInstanceOf(Election.Verdict.Take.class);
    }

    @Test
    void aMemberWhoseApplierFailedIsNotPromoted() {
        var broken = new MemberRecord("db1", "10.0.0.1", 3306, 8008, 4444, Role.REPLICA, MemberState.RUNNING, false, false,
                "0-1-900", "0-1-900", -1, "10.11", "SQL thread error 1062", 100, false, "", 0);
        var fine = member("db2", "0-1-100", 100, false, 0);
        var v = view(broken, fine);
        assertThat(election.decide(broken, v, 0)).isInstanceOf(Election.Verdict.Ineligible.class);
        assertThat(election.decide(fine, v, 0)).isInstanceOf(Election.Verdict.Take.class);
    }

    @Test
    void oldPrimarysUnreplicatedTailDoesNotOutrankANewerPrimarysWritesInTheSameDomain() {
        // db1 came back with server 1's tail up to 0-1-120 that nobody received; db2 and db3 hold server 2's writes
        // 101..110 after the failover. The highest sequence (120) must not make db1 the winner.
        var oldTail = new MemberRecord("db1", "10.0.0.1", 3306, 8008, 4444, Role.REPLICA, MemberState.RUNNING, true, true,
                "0-1-120", "0-1-120", 0, "10.11", "", 100, false, "", 0);
        var newer = new MemberRecord("db2", "10.0.0.2", 3306, 8008, 4444, Role.REPLICA, MemberState.RUNNING, true, true,
                "0-2-110", "0-1-100,0-2-110", 0, "10.11", "", 100, false, "", 0);
        var v = view(oldTail, newer);
        assertThat(election.decide(oldTail, v, 0)).isInstanceOf(Election.Verdict.Hold.class);
        assertThat(election.decide(newer, v, 0)).isInstanceOf(Election.Verdict.Hold.class);
    }

    @Test
    void historiesAreComparedPerOriginSoAMemberHoldingEverythingOfAnotherWins() {
        var behind = new MemberRecord("db1", "10.0.0.1", 3306, 8008, 4444, Role.REPLICA, MemberState.RUNNING, true, true,
                "0-2-105", "0-1-100,0-2-105", 0, "10.11", "", 200, false, "", 0);
        var ahead = new MemberRecord("db2", "10.0.0.2", 3306, 8008, 4444, Role.REPLICA, MemberState.RUNNING, true, true,
                "0-2-110", "0-1-100,0-2-110", 0, "10.11", "", 100, false, "", 0);
        var v = view(behind, ahead);
        assertThat(election.decide(ahead, v, 0)).isInstanceOf(Election.Verdict.Take.class);
        assertThat(election.decide(behind, v, 0)).isInstanceOf(Election.Verdict.Defer.class);
    }
}
