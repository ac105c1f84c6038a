package dev.autopilot.agent.ha;

import static org.assertj.core.api.Assertions.assertThat;

import dev.autopilot.agent.cluster.ClusterView;
import dev.autopilot.agent.db.DatabaseReading;
import dev.autopilot.mysql.flavor.ReplicationStatus;
import dev.autopilot.mysql.gtid.GtidPosition;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** When the HA loop may wait twice its interval before the next cycle: one case per rule of {@link HaLoop#followsSteadily}. */
class HaLoopCadenceTest {
    private static final ClusterView LED_BY_DB2 = view(Optional.of("db2"));

    @Test
    void aHealthyReplicaFollowingTheLockHolderIsSteady() {
        assertThat(HaLoop.followsSteadily(new Outcome.Following("db2"), replica(true, true), LED_BY_DB2)).isTrue();
    }

    @Test
    void aReplicaWaitingForThePrimarysRecordIsNot() {
        assertThat(HaLoop.followsSteadily(new Outcome.Following("db2 (waiting for its record)"), replica(true, true), LED_BY_DB2)).isFalse();
    }

    @Test
    void aReplicaWhoseReceiverIsStoppedIsNot() {
        assertThat(HaLoop.followsSteadily(new Outcome.Following("db2"), replica(false, true), LED_BY_DB2)).isFalse();
    }

    @Test
    void aReplicaWhoseApplierIsStoppedIsNot() {
        assertThat(HaLoop.followsSteadily(new Outcome.Following("db2"), replica(true, false), LED_BY_DB2)).isFalse();
    }

    @Test
    void aReplicaFollowingAMemberThatNoLongerHoldsTheLockIsNot() {
        assertThat(HaLoop.followsSteadily(new Outcome.Following("db2"), replica(true, true), view(Optional.empty()))).isFalse();
        assertThat(HaLoop.followsSteadily(new Outcome.Following("db2"), replica(true, true), view(Optional.of("db3")))).isFalse();
    }

    @Test
    void anyOtherOutcomeIsNot() {
        assertThat(HaLoop.followsSteadily(new Outcome.Leading(), replica(true, true), LED_BY_DB2)).isFalse();
        assertThat(HaLoop.followsSteadily(new Outcome.Repointed("db2"), replica(true, true), LED_BY_DB2)).isFalse();
    }

    @Test
    void withoutAViewYetItIsNot() {
        assertThat(HaLoop.followsSteadily(new Outcome.Following("db2"), replica(true, true), null)).isFalse();
    }

    private static DatabaseReading replica(boolean receiving, boolean applying) {
        ReplicationStatus threads = new ReplicationStatus(true, receiving ? ReplicationStatus.IoState.RUNNING : ReplicationStatus.IoState.STOPPED,
                applying, 0, "", 0, "", Optional.of(0L), "127.0.0.12", 3306, "", "Slave has read all relay log");
        GtidPosition position = GtidPosition.parse("0-2-10");
        return new DatabaseReading(true, true, position, position, position, threads, "10.11.6", "");
    }

    private static ClusterView view(Optional<String> leader) {
        return new ClusterView(new TreeMap<>(), leader, false, Optional.empty(), Optional.empty(), Optional.of("db1"));
    }
}
