package dev.autopilot.agent.it;

import dev.autopilot.agent.it.Fault.Kind;
import java.util.List;
import java.util.Random;

/**
 * The seeded fault sequence of a campaign: {@code java.util.Random(seed)} alone decides each fault's kind, target,
 * duration and pause before it, so a seed reproduces the schedule whatever the cluster does (timings differ from run
 * to run; the sequence does not). Optional kinds restrict the draw (e.g. a CI run of a handful of chosen faults).
 */
final class FaultSchedule {
    /** Every kind, drawn with equal weight. */
    static final List<Kind> ALL = List.of(Kind.values());
    /** What may hit the new primary during a failover, or a member during a switchover. */
    private static final List<Kind> SECONDS = List.of(Kind.KILL_NODE, Kind.KILL_DATABASE, Kind.PAUSE_AGENT, Kind.KILL_AGENT);

    private final Random random;
    private final List<Kind> kinds;
    private final List<Kind> seconds;

    FaultSchedule(long seed, List<Kind> kinds) {
        if (kinds.isEmpty()) {
            throw new IllegalArgumentException("FaultSchedule: at least one fault kind is required");
        }
        this.random = new Random(seed);
        this.kinds = List.copyOf(kinds);
        // A restricted draw restricts the second faults too (a CI run leaves out what the code does not survive yet).
        List<Kind> allowed = SECONDS.stream().filter(kinds::contains).toList();
        this.seconds = allowed.isEmpty() ? SECONDS : allowed;
    }

    /** The next fault. */
    Fault next() {
        Kind kind = kinds.get(random.nextInt(kinds.size()));
        boolean onPrimary = random.nextBoolean();
        int pick = random.nextInt(1000);
        long millis = switch (kind) {
            case PAUSE_AGENT, PAUSE_DATABASE -> 1000 + random.nextInt(9001);          // 1–10 s
            case KILL_AGENT, KILL_NODE, FAULT_DURING_FAILOVER, FAULT_DURING_SWITCHOVER -> 1000 + random.nextInt(5001);
            case CUT_PRIMARY_FROM_STORE, CUT_PRIMARY_FROM_REPLICAS, CUT_PRIMARY_FROM_BOTH, ISOLATE_ETCD_MEMBER ->
                    3000 + random.nextInt(12001);                                      // 3–15 s
            case ETCD_QUORUM_LOSS -> 2000 + random.nextInt(8001);                      // 2–10 s
            case OBJECT_STORE_OUTAGE -> 10_000 + random.nextInt(20_001);               // 10–30 s
            case DISK_FULL -> 5000 + random.nextInt(15_001);                            // 5–20 s
            case KILL_DATABASE -> 0;
        };
        Kind second = kind == Kind.FAULT_DURING_FAILOVER || kind == Kind.FAULT_DURING_SWITCHOVER
                ? seconds.get(random.nextInt(seconds.size())) : null;
        long delay = second == null ? 0 : random.nextInt(kind == Kind.FAULT_DURING_FAILOVER ? 1500 : 400);
        return new Fault(kind, onPrimary, pick, millis, second, delay);
    }

    /** Milliseconds of steady load before the next fault (2–6 s). */
    long quietMillis() {
        return 2000 + random.nextInt(4001);
    }
}
