package dev.autopilot.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.autopilot.agent.it.Fault.Kind;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The fault schedule is a function of its seed alone, and stays within the documented bounds. */
class FaultScheduleTest {

    private static List<Fault> draw(long seed, List<Kind> kinds, int n) {
        FaultSchedule schedule = new FaultSchedule(seed, kinds);
        List<Fault> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(schedule.next());
            schedule.quietMillis();
        }
        return out;
    }

    @Test
    void theSameSeedDrawsTheSameFaultsAndAnotherSeedOthers() {
        assertThat(draw(7, FaultSchedule.ALL, 50)).isEqualTo(draw(7, FaultSchedule.ALL, 50));
        assertThat(draw(8, FaultSchedule.ALL, 50)).isNotEqualTo(draw(7, FaultSchedule.ALL, 50));
    }

    @Test
    void everyKindComesUpAndDurationsStayInTheirBounds() {
        List<Fault> faults = draw(1, FaultSchedule.ALL, 2000);
        Set<Kind> seen = EnumSet.noneOf(Kind.class);
        faults.forEach(f -> seen.add(f.kind()));
        assertThat(seen).containsExactlyInAnyOrder(Kind.values());
        assertThat(faults).filteredOn(f -> f.kind() == Kind.PAUSE_AGENT || f.kind() == Kind.PAUSE_DATABASE)
                .allSatisfy(f -> assertThat(f.millis()).isBetween(1000L, 10_000L));
        assertThat(faults).filteredOn(f -> f.kind() == Kind.DISK_FULL).allSatisfy(f -> assertThat(f.millis()).isBetween(5000L, 20_000L));
        assertThat(faults).filteredOn(f -> f.kind() == Kind.FAULT_DURING_FAILOVER || f.kind() == Kind.FAULT_DURING_SWITCHOVER)
                .allSatisfy(f -> assertThat(f.second()).isNotNull());
        assertThat(faults).filteredOn(f -> f.kind() != Kind.FAULT_DURING_FAILOVER && f.kind() != Kind.FAULT_DURING_SWITCHOVER)
                .allSatisfy(f -> assertThat(f.second()).isNull());
    }

    @Test
    void aRestrictedScheduleDrawsOnlyTheGivenKinds() {
        assertThat(draw(3, List.of(Kind.KILL_NODE, Kind.ETCD_QUORUM_LOSS), 100)).extracting(Fault::kind)
                .containsOnly(Kind.KILL_NODE, Kind.ETCD_QUORUM_LOSS);
        assertThat(draw(3, List.of(Kind.FAULT_DURING_FAILOVER, Kind.KILL_NODE), 100)).extracting(Fault::second)
                .containsOnly(null, Kind.KILL_NODE);
        assertThat(IntStream.range(0, 100).mapToLong(i -> new FaultSchedule(5, FaultSchedule.ALL).quietMillis()).max().orElseThrow())
                .isBetween(2000L, 6000L);
    }
}
