package dev.autopilot.agent.api;

import dev.autopilot.agent.cluster.ClusterView;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.agent.cluster.MemberState;
import dev.autopilot.agent.cluster.Role;
import dev.autopilot.agent.ha.Outcome;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A small stand-in for a running agent: the API tests set its readings and see which requests reached it.
 * (The real agent behind the API is exercised by the CLI's local-cluster test.)
 */
final class StandInAgent implements AgentControl {
    final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final List<String> requests = new CopyOnWriteArrayList<>();
    volatile MemberRecord record;
    volatile boolean lock;
    volatile boolean writesOpen;
    volatile Outcome outcome;
    volatile String refusal;
    volatile java.util.List<dev.autopilot.agent.history.HistoryEvent> events = java.util.List.of();

    StandInAgent() {
        metrics.counter("autopilot_test_cycles").increment(3);
    }

    static MemberRecord record(Role role, MemberState state, boolean healthy, long lagMillis) {
        return new MemberRecord("db1", "127.0.7.200", 3306, 8008, 4444, role, state, healthy, healthy, "0-1-42", "0-1-42",
                lagMillis, "10.11.6-MariaDB", healthy ? "" : "no answer to SELECT 1", 100, false, "", 0);
    }

    void primary() {
        record = record(Role.PRIMARY, MemberState.RUNNING, true, -1);
        lock = true;
        writesOpen = true;
        outcome = new Outcome.Leading();
    }

    void replica(long lagMillis) {
        record = record(Role.REPLICA, MemberState.RUNNING, true, lagMillis);
        lock = false;
        writesOpen = false;
        outcome = new Outcome.Following("db2");
    }

    @Override
    public String memberName() {
        return "db1";
    }

    @Override
    public Optional<MemberRecord> self() {
        return Optional.ofNullable(record);
    }

    @Override
    public Optional<ClusterView> cluster() {
        return self().map(r -> ClusterView.of(Map.of(r.name(), r), lock ? Optional.of("db1") : Optional.of("db2")));
    }

    @Override
    public Optional<ClusterView> currentCluster() {
        return Optional.empty(); // no store: /cluster answers with the last view, marked stale
    }

    @Override
    public boolean holdsLock() {
        return lock;
    }

    @Override
    public boolean writesOpen() {
        return writesOpen;
    }

    @Override
    public Optional<Outcome> lastOutcome() {
        return Optional.ofNullable(outcome);
    }

    @Override
    public PrometheusMeterRegistry metrics() {
        return metrics;
    }

    @Override
    public String switchover(Optional<String> target) {
        refuseIfAsked();
        requests.add("switchover " + target.orElse("*"));
        return "switchover requested: db1 hands over to " + target.orElse("the best replica");
    }

    @Override
    public String failover(String target, boolean force) {
        refuseIfAsked();
        requests.add("failover " + target + " force=" + force);
        return "failover requested: " + target + " becomes primary";
    }

    @Override
    public void pause(boolean paused) {
        requests.add(paused ? "pause" : "resume");
    }

    private void refuseIfAsked() {
        if (refusal != null) {
            throw new IllegalStateException(refusal);
        }
    }

    @Override
    public java.util.List<dev.autopilot.agent.history.HistoryEvent> history(long sinceMillis, Optional<String> member) {
        return events.stream().filter(e -> e.atMillis() >= sinceMillis).filter(e -> member.map(e.member()::equals).orElse(true)).toList();
    }

    @Override
    public String confirmFailsafe(String primary, java.time.Duration window) {
        requests.add("failsafe " + primary + " " + window.toMillis());
        return "promised " + primary;
    }
}
