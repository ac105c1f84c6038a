package dev.autopilot.agent.metrics;

import dev.autopilot.agent.cluster.ClusterView;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.agent.cluster.MemberState;
import dev.autopilot.agent.cluster.Role;
import dev.autopilot.agent.db.DatabaseReading;
import dev.autopilot.agent.ha.Outcome;
import dev.autopilot.mysql.flavor.ReplicationStatus;
import dev.autopilot.mysql.gtid.GtidPosition;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** Readings of a database and a cluster as an HA cycle takes them, for the meters' tests. */
final class Readings {
    private Readings() {
    }

    static DatabaseReading primary(String position, boolean asyncFallback) {
        GtidPosition p = GtidPosition.parse(position);
        return new DatabaseReading(true, false, p, p, GtidPosition.empty(), ReplicationStatus.notConfigured(), "10.11.6", "", asyncFallback);
    }

    static DatabaseReading replica(String position, long lagSeconds, boolean io, boolean sql) {
        GtidPosition p = GtidPosition.parse(position);
        var threads = new ReplicationStatus(true, io ? ReplicationStatus.IoState.RUNNING : ReplicationStatus.IoState.CONNECTING, sql, 0, "",
                0, "", io && sql ? Optional.of(lagSeconds) : Optional.empty(), "127.0.0.12", 3306, position, "", "");
        return new DatabaseReading(true, true, p, GtidPosition.empty(), p, threads, "10.11.6", "");
    }

    static ClusterView view(String leader, String leaderPosition, boolean paused) {
        var record = new MemberRecord(leader, "127.0.0.12", 3306, 8008, 4444, Role.PRIMARY, MemberState.RUNNING, true, true,
                leaderPosition, leaderPosition, -1, "10.11.6", "", 0, false, "", 0);
        return new ClusterView(new java.util.TreeMap<>(Map.of(leader, record)), Optional.of(leader), paused, Optional.empty(),
                Optional.empty(), Optional.empty());
    }

    static ClusterMetrics.Cycle cycle(Outcome outcome, Role role, DatabaseReading local, ClusterView view) {
        return new ClusterMetrics.Cycle(outcome, Duration.ofMillis(12), role, false, false, local, Optional.of(view));
    }
}
