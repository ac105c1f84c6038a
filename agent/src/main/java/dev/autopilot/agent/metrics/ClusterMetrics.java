package dev.autopilot.agent.metrics;

import dev.autopilot.agent.cluster.ClusterView;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.agent.cluster.Role;
import dev.autopilot.agent.db.DatabaseReading;
import dev.autopilot.agent.ha.Outcome;
import dev.autopilot.coordination.Coordinator;
import dev.autopilot.mysql.gtid.Gtid;
import dev.autopilot.mysql.gtid.GtidPosition;
import dev.autopilot.storage.SnapshotStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The meters an operator alerts on, for one member; {@code GET /metrics} serves them beside the supervisor's
 * ({@code autopilot_job_*}, {@code autopilot_health_check_seconds}) and {@code autopilot_agent_state{state}}. Every
 * series carries the labels {@code cluster} and {@code member}. Gauges only read what the agent already keeps (the
 * last HA cycle's reading of the database and the cluster, the lock's own clock): a scrape never asks the database or
 * a store anything. {@code NaN} means "does not apply to this member now" (lag on a primary, no snapshot yet).
 *
 * <p>Role and leadership: {@code autopilot_role{role}} (gauge, 1 for the current role: primary, replica, none),
 * {@code autopilot_leader_lock_held} (gauge 0/1, by the lock's own clock), {@code autopilot_leader_lease_remaining_seconds}
 * (gauge, until this holder would declare its lease lost; 0 when not held), {@code autopilot_failsafe_leading} (gauge
 * 0/1, writes open on failsafe confirmations with the lease lost), {@code autopilot_cluster_paused} (gauge 0/1).
 *
 * <p>Replication: {@code autopilot_replication_lag_seconds} (gauge, Seconds_Behind_Master), {@code
 * autopilot_replication_lag_transactions} (gauge, transactions the primary's published position is ahead of what this
 * member executed, summed over domains), {@code autopilot_replication_thread_running{thread}} (gauge 0/1, thread io or
 * sql), {@code autopilot_gtid_sequence{domain}} (gauge, highest executed sequence per GTID domain), {@code
 * autopilot_errant_transactions_found_total} (counter), {@code autopilot_diverged} (gauge 0/1, held for an operator
 * or being rebuilt for errant transactions), {@code autopilot_semisync_active} (gauge 0/1: a zero-loss primary whose
 * commits wait for a replica, or a replica that acknowledges), {@code autopilot_semisync_async_fallback} (gauge 0/1),
 * {@code autopilot_semisync_fallbacks_total} (counter).
 *
 * <p>Promotions and the HA loop: {@code autopilot_failovers_total}, {@code autopilot_switchovers_total} (counters of
 * promotions of this member), {@code autopilot_last_promotion_duration_seconds} (gauge, the HA cycle that promoted it:
 * lock taken, relay log applied, writes open), {@code autopilot_ha_cycle_seconds} (histogram), {@code
 * autopilot_ha_last_outcome{outcome}} (gauge, 1 for the last cycle's outcome), {@code
 * autopilot_ha_last_cycle_timestamp_seconds} (gauge, Unix time of the last completed cycle).
 *
 * <p>Stores ({@link MeteredCoordinator}, {@link MeteredSnapshotStore}): {@code autopilot_store_request_seconds{operation}}
 * (summary) and {@code autopilot_store_errors_total{operation}} (counter, store unreachable) for the coordination store;
 * {@code autopilot_object_store_request_seconds{operation}} and {@code autopilot_object_store_errors_total{operation}}
 * for the object store.
 *
 * <p>Provisioning ({@link ProvisioningMeter}): {@code autopilot_provisioning_in_progress} (gauge 0/1), {@code
 * autopilot_provisioning_received_bytes_total} (counter; its rate is the transfer rate), {@code
 * autopilot_provisioning_expected_bytes} (gauge, size the source announced for the copy in progress).
 *
 * <p>Backups ({@link #backups}): {@code autopilot_backup_last_snapshot_age_seconds} (gauge), {@code
 * autopilot_backup_overdue} (gauge 0/1, newest snapshot older than twice {@code backup.interval} or none), {@code
 * autopilot_backup_uploaded_bytes_total} (counter), {@code autopilot_binlog_archive_lag_seconds} (gauge, on the primary:
 * since the last archive pass that left every closed binlog archived).
 */
public final class ClusterMetrics {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterMetrics.class);
    /** Upper bounds of the HA cycle histogram: a cycle is a few store and database round trips; a promotion drains a relay log. */
    private static final Duration[] CYCLE_BUCKETS = {Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
            Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
            Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30)};

    /**
     * What one HA cycle leaves behind, as the loop hands it over.
     *
     * @param outcome              what the cycle decided
     * @param took                 from reading the database to publishing the record
     * @param role                 this member's role after the cycle
     * @param diverged             held for an operator with errant transactions
     * @param acknowledgesSemiSync a replica that acknowledges semi-sync writes
     * @param local                the cycle's (last) reading of the local database
     * @param view                 the cycle's reading of the cluster, empty when the store did not answer yet
     */
    public record Cycle(Outcome outcome, Duration took, Role role, boolean diverged, boolean acknowledgesSemiSync,
                        DatabaseReading local, Optional<ClusterView> view) {
    }

    private final MeterRegistry registry;
    private final Clock clock;
    private final boolean zeroLoss;
    private final Timer cycles;
    private final Counter failovers;
    private final Counter switchovers;
    private final Counter errantFound;
    private final Counter fallbacks;
    private final ProvisioningMeter provisioning;
    private final RequestMeter coordinationRequests;
    private final RequestMeter objectRequests;
    private final Map<Long, Double> gtidSequences = new ConcurrentHashMap<>();
    private volatile Cycle last;
    private volatile double lastPromotionSeconds = Double.NaN;
    private volatile double lastCycleEpochSeconds = Double.NaN;
    private boolean fellBack;

    /**
     * Registers the meters in {@code registry} and labels every series of it with {@code cluster} and {@code member}.
     *
     * @param zeroLoss {@code mysql.zeroLoss}: semi-sync is on
     */
    public ClusterMetrics(MeterRegistry registry, String cluster, String member, boolean zeroLoss, Clock clock) {
        this.registry = registry;
        this.clock = clock;
        this.zeroLoss = zeroLoss;
        registry.config().commonTags("cluster", cluster, "member", member);
        for (Role r : Role.values()) {
            gauge("autopilot_role", "1 for this member's current role", c -> c.role() == r ? 1 : 0)
                    .tag("role", lower(r.name())).register(registry);
        }
        gauge("autopilot_replication_lag_seconds", "replication lag reported by the replica threads (NaN when not replicating)",
                ClusterMetrics::lagSeconds).register(registry);
        gauge("autopilot_replication_lag_transactions",
                "transactions the primary's published position is ahead of this replica's executed one (NaN unless a replica)",
                ClusterMetrics::transactionsBehind).register(registry);
        gauge("autopilot_replication_thread_running", "1 while the replica thread runs (io: receiver, sql: applier)",
                c -> c.local().replication().configured() && c.local().replication().ioRunning() ? 1 : 0)
                .tag("thread", "io").register(registry);
        gauge("autopilot_replication_thread_running", "1 while the replica thread runs (io: receiver, sql: applier)",
                c -> c.local().replication().configured() && c.local().replication().sqlRunning() ? 1 : 0)
                .tag("thread", "sql").register(registry);
        gauge("autopilot_diverged", "1 while this member holds errant transactions (held for an operator or being rebuilt)",
                c -> c.diverged() || c.outcome() instanceof Outcome.Diverged ? 1 : 0).register(registry);
        gauge("autopilot_semisync_active", "1 while semi-sync protects commits: a zero-loss primary not fallen back, or a replica that acknowledges",
                this::semiSyncActive).register(registry);
        gauge("autopilot_semisync_async_fallback", "1 while this zero-loss primary's semi-sync has fallen back to asynchronous",
                c -> c.role() == Role.PRIMARY && c.local().asyncFallback() ? 1 : 0).register(registry);
        gauge("autopilot_cluster_paused", "1 while automatic failover is paused",
                c -> c.view().map(v -> v.paused() ? 1 : 0).orElse(0)).register(registry);
        for (Class<?> kind : Outcome.class.getPermittedSubclasses()) {
            gauge("autopilot_ha_last_outcome", "1 for the outcome of the last HA cycle", c -> kind.isInstance(c.outcome()) ? 1 : 0)
                    .tag("outcome", snakeCase(kind.getSimpleName())).register(registry);
        }
        Gauge.builder("autopilot_ha_last_cycle_timestamp_seconds", () -> lastCycleEpochSeconds)
                .description("Unix time at which the last HA cycle completed").register(registry);
        Gauge.builder("autopilot_last_promotion_duration_seconds", () -> lastPromotionSeconds)
                .description("how long the HA cycle that last promoted this member took (lock, relay log applied, writes open)")
                .register(registry);
        cycles = Timer.builder("autopilot_ha_cycle").description("duration of HA cycles")
                .serviceLevelObjectives(CYCLE_BUCKETS).register(registry);
        failovers = Counter.builder("autopilot_failovers").description("promotions of this member after the lock was free")
                .register(registry);
        switchovers = Counter.builder("autopilot_switchovers").description("promotions of this member by a primary's hand-over")
                .register(registry);
        errantFound = Counter.builder("autopilot_errant_transactions_found")
                .description("errant transactions found on this member (summed over detections)").register(registry);
        fallbacks = Counter.builder("autopilot_semisync_fallbacks")
                .description("times this primary's semi-sync fell back to asynchronous replication").register(registry);
        provisioning = new ProvisioningMeter(registry);
        coordinationRequests = new RequestMeter(registry, "autopilot_store", MeteredCoordinator.OPERATIONS);
        objectRequests = new RequestMeter(registry, "autopilot_object_store", MeteredSnapshotStore.OPERATIONS);
    }

    /** With the system clock. */
    public ClusterMetrics(MeterRegistry registry, String cluster, String member, boolean zeroLoss) {
        this(registry, cluster, member, zeroLoss, Clock.systemUTC());
    }

    /**
     * The leader lock as this member's own clock sees it (no I/O): whether it holds it, how long until it would declare
     * the lease lost, and whether it leads on failsafe confirmations.
     */
    public void leadership(BooleanSupplier held, Supplier<Duration> remaining, BooleanSupplier failsafe) {
        Gauge.builder("autopilot_leader_lock_held", () -> held.getAsBoolean() ? 1 : 0)
                .description("1 while this member holds the leader lock by its own lease clock").register(registry);
        Gauge.builder("autopilot_leader_lease_remaining_seconds", () -> remaining.get().toNanos() / 1e9)
                .description("time until this holder declares its lease lost unless renewed (0 when not held)").register(registry);
        Gauge.builder("autopilot_failsafe_leading", () -> failsafe.getAsBoolean() ? 1 : 0)
                .description("1 while writes stay open on failsafe confirmations without the lease").register(registry);
    }

    /** One completed HA cycle: counts what it did and keeps what the gauges show. Called on the loop's thread. */
    public void cycled(Cycle cycle) {
        try {
            count(cycle);
        } catch (RuntimeException e) {
            // A meter must never cost the HA loop a decision: the cycle's own work is done by now.
            LOG.warn("metrics of an HA cycle ({}) not updated: {}", cycle.outcome().describe(), e.toString());
        }
        last = cycle;
    }

    private void count(Cycle cycle) {
        cycles.record(cycle.took());
        lastCycleEpochSeconds = clock.millis() / 1e3;
        switch (cycle.outcome()) {
            case Outcome.PromotedSelf p -> {
                (p.planned() ? switchovers : failovers).increment();
                lastPromotionSeconds = cycle.took().toNanos() / 1e9;
            }
            case Outcome.Diverged d when d.errantTransactions() > 0 -> errantFound.increment(d.errantTransactions());
            default -> { }
        }
        boolean fallback = cycle.role() == Role.PRIMARY && cycle.local().asyncFallback();
        if (fallback && !fellBack) {
            fallbacks.increment();
        }
        fellBack = fallback;
        if (cycle.local().reachable()) {
            for (Gtid g : cycle.local().position().byDomain().values()) {
                if (gtidSequences.put(g.domainId(), (double) g.sequence()) == null) {
                    long domain = g.domainId();
                    Gauge.builder("autopilot_gtid_sequence", gtidSequences, m -> m.getOrDefault(domain, Double.NaN))
                            .description("highest executed GTID sequence number in the domain").tag("domain", Long.toString(domain))
                            .register(registry);
                }
            }
        }
    }

    /**
     * The backup meters. Every supplier must answer from memory: the newest snapshot's creation time, the bytes of
     * snapshots uploaded, and when the binlog archive last was complete (empty when this member does not archive now).
     */
    public void backups(Supplier<Optional<Instant>> lastSnapshot, Duration interval, Supplier<Long> uploadedBytes,
                        Supplier<Optional<Instant>> archiveCompleteAt) {
        Gauge.builder("autopilot_backup_last_snapshot_age_seconds", () -> lastSnapshot.get()
                        .map(t -> Duration.between(t, clock.instant()).toMillis() / 1e3).orElse(Double.NaN))
                .description("age of the newest snapshot this member knows of (NaN when none)").register(registry);
        Gauge.builder("autopilot_backup_overdue", () -> lastSnapshot.get()
                        .map(t -> clock.instant().isAfter(t.plus(interval.multipliedBy(2))) ? 1 : 0).orElse(1))
                .description("1 when the newest snapshot is older than twice backup.interval, or there is none").register(registry);
        FunctionCounter.builder("autopilot_backup_uploaded_bytes", uploadedBytes, s -> s.get())
                .description("snapshot bytes this member uploaded").register(registry);
        Gauge.builder("autopilot_binlog_archive_lag_seconds", () -> archiveCompleteAt.get()
                        .map(t -> Duration.between(t, clock.instant()).toMillis() / 1e3).orElse(Double.NaN))
                .description("on the primary, time since the binlog archive last held every closed binlog (NaN elsewhere)")
                .register(registry);
    }

    /** The coordination store with every request timed and every unreachable-store error counted. */
    public MeteredCoordinator coordinationStore(Coordinator store) {
        return new MeteredCoordinator(store, coordinationRequests);
    }

    /** The object store with every request timed and every error counted. */
    public MeteredSnapshotStore objectStore(SnapshotStore store) {
        return new MeteredSnapshotStore(store, objectRequests);
    }

    /** Counts the bytes of copies this member receives while it is provisioned. */
    public ProvisioningMeter provisioning() {
        return provisioning;
    }

    private double semiSyncActive(Cycle c) {
        if (!zeroLoss) {
            return 0;
        }
        return switch (c.role()) {
            case PRIMARY -> c.local().asyncFallback() ? 0 : 1;
            case REPLICA -> c.acknowledgesSemiSync() ? 1 : 0;
            case NONE -> 0;
        };
    }

    private static double lagSeconds(Cycle c) {
        long millis = c.role() == Role.REPLICA ? c.local().lagMillis() : -1;
        return millis < 0 ? Double.NaN : millis / 1e3;
    }

    /** Per domain, how far the primary's published position is ahead of what this replica executed. */
    static double transactionsBehind(Cycle c) {
        Optional<MemberRecord> primary = c.view().flatMap(ClusterView::leaderRecord).filter(p -> p.role() == Role.PRIMARY);
        if (c.role() != Role.REPLICA || primary.isEmpty() || !c.local().reachable()) {
            return Double.NaN;
        }
        GtidPosition theirs;
        try {
            theirs = GtidPosition.parse(primary.get().gtidPosition());
        } catch (RuntimeException e) {
            return Double.NaN; // a record this version cannot read: no figure rather than a wrong one
        }
        double behind = 0;
        for (Gtid g : theirs.byDomain().values()) {
            long own = c.local().position().sequenceInDomain(g.domainId()).orElse(0L);
            behind += Math.max(0, g.sequence() - own);
        }
        return behind;
    }

    private Gauge.Builder<ClusterMetrics> gauge(String name, String description, ToDoubleFunction<Cycle> value) {
        return Gauge.builder(name, this, m -> {
            Cycle c = m.last;
            return c == null ? Double.NaN : value.applyAsDouble(c);
        }).description(description);
    }

    private static String lower(String name) {
        return name.toLowerCase(Locale.ROOT);
    }

    /** {@code PromotedSelf} → {@code promoted_self}. */
    static String snakeCase(String camel) {
        return lower(camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2"));
    }
}
