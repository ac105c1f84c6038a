package dev.autopilot.agent.ha;

import dev.autopilot.agent.cluster.ClusterStore;
import dev.autopilot.agent.cluster.ClusterView;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.agent.cluster.MemberState;
import dev.autopilot.agent.cluster.Promotion;
import dev.autopilot.agent.cluster.Role;
import dev.autopilot.agent.cluster.SwitchoverRequest;
import dev.autopilot.agent.config.AgentConfig;
import dev.autopilot.agent.config.ClusterSecrets;
import dev.autopilot.agent.db.DatabaseReading;
import dev.autopilot.agent.db.LocalDatabase;
import dev.autopilot.coordination.LeaderLock;
import dev.autopilot.mysql.admin.DatabaseAdmin;
import dev.autopilot.mysql.flavor.ReplicationSource;
import dev.autopilot.mysql.flavor.ReplicationStatus;
import dev.autopilot.mysql.gtid.ErrantTransactions;
import dev.autopilot.mysql.gtid.GtidPosition;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The decisions of one HA cycle, as ordered guard clauses over one {@link ClusterView} and one
 * {@link DatabaseReading}. Each clause either returns an {@link Outcome} (having acted) or passes to the next.
 * The order is the safety argument: a dead database gives up the lock before anything else; a lost lease
 * fences before anything else; only then leading, following and electing.
 */
public final class HaCycle {
    private static final Logger LOG = LoggerFactory.getLogger(HaCycle.class);
    private static final Duration SWITCHOVER_TIMEOUT = Duration.ofSeconds(15);

    private final AgentConfig config;
    private final ClusterSecrets secrets;
    private final LocalDatabase db;
    private final LeaderLock lock;
    private final ClusterStore store;
    private final Election election;
    private final BiConsumer<String, RebuildReason> rebuild;
    private final long startedNanos = System.nanoTime();

    private volatile boolean fenced;
    private Role role = Role.NONE;
    private String following = "";
    private String diverged = "";
    private boolean sawLeader;
    private long lockFreeSinceNanos;
    private String leaderSeen = "";
    private long leaderRecordSeenAt;
    private Promotion afterPromotion;

    /** Why this member's data must be replaced by a fresh copy. */
    public enum RebuildReason {
        /** It holds transactions the primary never had. */
        ERRANT_TRANSACTIONS,
        /** The primary purged binlogs it still needs (it was away longer than mysql.binlogRetention). */
        BINLOGS_PURGED
    }

    /**
     * @param rebuild started (off the loop) with the primary's name when this member's data must be replaced by a copy
     */
    public HaCycle(AgentConfig config, ClusterSecrets secrets, LocalDatabase db, LeaderLock lock, ClusterStore store,
                   BiConsumer<String, RebuildReason> rebuild) {
        this.config = config;
        this.secrets = secrets;
        this.db = db;
        this.lock = lock;
        this.store = store;
        this.election = new Election(config.failover().maximumLag(), config.failover().promotionWindow());
        this.rebuild = rebuild;
    }

    /** The role this member has now. */
    public Role role() {
        return role;
    }

    /** Called by the lease watchdog: fence at once, off the HA loop's thread. */
    public void onLeaseLost(String reason) {
        fenced = true;
        try {
            int killed = db.fence();
            LOG.warn("{}: leader lease lost ({}); server is read-only, {} client connection(s) killed; will rejoin as a replica",
                    config.member().name(), reason, killed);
        } catch (RuntimeException e) {
            LOG.error("{}: leader lease lost ({}) and fencing failed: {}; the database job will be stopped",
                    config.member().name(), reason, e.getMessage());
        }
    }

    /** Runs the rules on one reading of the database and the cluster. */
    public Outcome run(DatabaseReading local, ClusterView view) {
        noteLiveLeader(local, view);
        lockFreeSinceNanos = view.leader().isPresent() ? 0 : (lockFreeSinceNanos != 0 ? lockFreeSinceNanos : System.nanoTime());
        if (!local.reachable()) {
            return databaseDown(local);
        }
        if (fenced) {
            fenced = false;
            role = Role.NONE;
            following = "";
            return new Outcome.Fenced("lease lost");
        }
        if (lock.isHeld()) {
            return lead(local, view);
        }
        if (role == Role.PRIMARY) {
            // The lock is gone without a lease-loss callback (released elsewhere): make sure writes are off.
            db.fence();
            role = Role.NONE;
        }
        Optional<String> leader = view.leader();
        if (leader.isPresent() && !leader.get().equals(config.member().name())) {
            return follow(local, view, leader.get());
        }
        return elect(local, view);
    }

    private Outcome databaseDown(DatabaseReading local) {
        if (lock.isHeld()) {
            lock.release();
            role = Role.NONE;
            return new Outcome.ReleasedLock("database not answering (" + local.error() + "); a replica takes over now");
        }
        role = role == Role.PRIMARY ? Role.NONE : role;
        return new Outcome.DatabaseDown(local.error());
    }

    private Outcome lead(DatabaseReading local, ClusterView view) {
        Optional<SwitchoverRequest> sw = view.switchover();
        if (sw.isPresent() && sw.get().from().equals(config.member().name())) {
            return stepDown(view, sw.get());
        }
        if (local.readOnly() || role != Role.PRIMARY) {
            openWrites();
        }
        if (afterPromotion != null) {
            if (view.switchover().filter(s -> s.to().equals(config.member().name())).isPresent()) {
                store.clearSwitchover();
            }
            store.recordPromotion(afterPromotion);
            afterPromotion = null;
        }
        return new Outcome.Leading();
    }

    /** Planned switchover or graceful stop: read-only, connections dropped, final position handed to the target, lock released. */
    private Outcome stepDown(ClusterView view, SwitchoverRequest request) {
        String target = request.to().isEmpty()
                ? election.best(view, System.currentTimeMillis(), config.member().name()).map(MemberRecord::name).orElse("")
                : request.to();
        if (target.isEmpty()) {
            store.clearSwitchover();
            LOG.warn("{}: switchover asked but no healthy eligible replica; staying primary", config.member().name());
            return new Outcome.Leading();
        }
        long start = System.nanoTime();
        db.fence();
        GtidPosition finalPosition = db.admin().gtidPosition();
        long fencedAt = System.nanoTime();
        store.requestSwitchover(new SwitchoverRequest(request.from(), target, request.requestedAtMillis(), finalPosition.format()));
        long handedAt = System.nanoTime();
        lock.release();
        LOG.info("{}: step-down steps: read-only in {} ms, final position {} handed to {} in {} ms, lock released in {} ms",
                config.member().name(), (fencedAt - start) / 1_000_000, finalPosition, target, (handedAt - fencedAt) / 1_000_000,
                (System.nanoTime() - handedAt) / 1_000_000);
        role = Role.NONE;
        following = "";
        return new Outcome.SteppedDown(target);
    }

    private void openWrites() {
        DatabaseAdmin admin = db.admin();
        admin.stopReplica();
        admin.resetReplica();
        if (config.mysql().zeroLoss()) {
            // Before the first write: every commit from here on waits for a replica's acknowledgement (AFTER_SYNC).
            admin.semiSyncPrimary(true, config.mysql().semiSyncTimeout());
        }
        admin.readOnly(false);
        role = Role.PRIMARY;
        following = "";
    }

    private Outcome follow(DatabaseReading local, ClusterView view, String leader) {
        Optional<MemberRecord> primary = view.member(leader);
        if (primary.isEmpty()) {
            return new Outcome.Following(leader + " (waiting for its record)");
        }
        MemberRecord p = primary.get();
        if (p.role() != Role.PRIMARY && !following.equals(leader)) {
            // A just-promoted primary's record may still be its replica record, whose history lags what it applied
            // before opening writes: comparing against it would find false errant transactions. Wait for it.
            return new Outcome.Following(leader + " (waiting for it to publish itself as primary)");
        }
        boolean pointed = following.equals(leader) && local.replication().configured()
                && local.replication().sourceHost().equals(p.address()) && local.replication().sourcePort() == p.mysqlPort();
        if (pointed) {
            if (positionPurged(local.replication())) {
                LOG.warn("{}: primary {} no longer has the binlogs this member needs ({}); rebuilding it by live clone",
                        config.member().name(), leader, local.replication().lastIoError());
                role = Role.NONE; // `following` stays: until the rebuild takes over, the next cycle lands here again, no re-point
                rebuild.accept(leader, RebuildReason.BINLOGS_PURGED);
                return new Outcome.FellBehind(leader, local.replication().lastIoError());
            }
            if (!local.replication().ioRunning() && local.replication().lastIoErrno() == 0 && !local.replication().sqlFailed()) {
                db.admin().startReplica();
            }
            role = Role.REPLICA;
            return new Outcome.Following(leader);
        }
        if (!diverged.isEmpty() && diverged.equals(leader)) {
            return new Outcome.Diverged(leader, -1, "held for an operator (failover.onErrant: hold)");
        }
        // Before replicating from a (new) primary, make sure this member holds nothing the primary lacks.
        GtidPosition primaryState = GtidPosition.parse(p.knownGtids());
        List<ErrantTransactions.ErrantRange> errant = ErrantTransactions.find(local.binlogState(), primaryState);
        if (!errant.isEmpty()) {
            long count = errant.stream().mapToLong(ErrantTransactions.ErrantRange::maxCount).sum();
            LOG.error("{}: holds {} transaction(s) that primary {} never had: {}", config.member().name(), count, leader, errant);
            role = Role.NONE;
            if (config.failover().onErrant() == AgentConfig.OnErrant.HOLD) {
                diverged = leader;
                return new Outcome.Diverged(leader, count, "held for an operator (failover.onErrant: hold)");
            }
            rebuild.accept(leader, RebuildReason.ERRANT_TRANSACTIONS);
            return new Outcome.Diverged(leader, count, "rebuilding (newest snapshot, else a live clone); the old data directory is kept aside");
        }
        DatabaseAdmin admin = db.admin();
        admin.readOnly(true);
        // A former primary's own writes are in its binlog, not in gtid_slave_pos: start from everything it has.
        GtidPosition start = local.slavePosition().merge(local.position()).perDomain();
        admin.stopReplica();
        if (config.mysql().zeroLoss()) {
            // A replica must not wait for acknowledgements of what it applies (see OptionFile).
            admin.semiSyncPrimary(false, config.mysql().semiSyncTimeout());
        }
        admin.setGtidSlavePos(start);
        admin.changePrimary(ReplicationSource.of(p.address(), p.mysqlPort(), secrets.replication())
                .withTls(config.mysql().tls().map(AgentConfig.Tls::caFile)));
        admin.startReplica();
        role = Role.REPLICA;
        following = leader;
        return new Outcome.Repointed(leader);
    }

    /**
     * The receiver stopped with error 1236 because the primary purged the binlogs from this member's position on:
     * replication can never resume (MariaDB: "... required binlog files have been purged").
     */
    static boolean positionPurged(ReplicationStatus replication) {
        return replication.lastIoErrno() == 1236 && replication.lastIoError().contains("purged");
    }

    private Outcome elect(DatabaseReading local, ClusterView view) {
        if (view.paused()) {
            return new Outcome.PausedWithoutLeader();
        }
        Optional<SwitchoverRequest> sw = view.switchover();
        boolean planned = false;
        if (sw.isPresent() && !sw.get().to().isEmpty()
                && System.currentTimeMillis() - sw.get().requestedAtMillis() < SWITCHOVER_TIMEOUT.toMillis()) {
            if (!sw.get().to().equals(config.member().name())) {
                return new Outcome.Deferring(sw.get().to(), "planned switchover target");
            }
            planned = true;
        } else {
            List<String> missing = missingAfterOutage(view);
            if (!missing.isEmpty()) {
                return new Outcome.AwaitingMembers(missing);
            }
            MemberRecord self = view.member(config.member().name()).orElse(null);
            if (self == null) {
                return new Outcome.NotEligible("own record not published yet");
            }
            switch (election.decide(self, view, System.currentTimeMillis())) {
                case Election.Verdict.Ineligible(String reason) -> {
                    return new Outcome.NotEligible(reason);
                }
                case Election.Verdict.Defer(String candidate, String reason) -> {
                    return new Outcome.Deferring(candidate, reason);
                }
                case Election.Verdict.Take() -> { }
            }
            Optional<MemberRecord> receiving = stillReceiving(view);
            Duration settle = config.failover().loopInterval().multipliedBy(2);
            if (receiving.isPresent() && System.nanoTime() - lockFreeSinceNanos < settle.toNanos()) {
                return new Outcome.Deferring(receiving.get().name(), "its receiver was still connected to "
                        + receiving.get().replicatingFrom() + " when it last published; waiting for its final position");
            }
        }
        return promote(local, view, planned ? sw.get() : null);
    }

    private Outcome promote(DatabaseReading local, ClusterView view, SwitchoverRequest planned) {
        DatabaseAdmin admin = db.admin();
        if (planned != null && !planned.finalPosition().isEmpty()) {
            GtidPosition target = GtidPosition.parse(planned.finalPosition());
            if (!admin.waitForGtid(target, Duration.ofSeconds(5))) {
                return new Outcome.NotEligible("switchover target has not reached the old primary's final position " + target + " yet");
            }
        }
        if (!lock.tryAcquire()) {
            return new Outcome.LostRace(lock.holder().orElse("?"));
        }
        long lockedAt = System.nanoTime();
        // Apply everything already received before opening writes (design rule 2). Only the receiver stops
        // first: stopping the applier too would discard the unapplied relay log in GTID mode.
        if (local.replication().configured()) {
            admin.stopReceiver();
        }
        long receiverStoppedAt = System.nanoTime();
        if (local.replication().configured() && !admin.waitForRelayLogApplied(Duration.ofSeconds(30))) {
            LOG.warn("{}: relay log not fully applied within 30 s; promoting anyway would lose it, releasing the lock",
                    config.member().name());
            lock.release();
            return new Outcome.NotEligible("relay log not applied within 30 s");
        }
        String previous = view.lastPromotion().map(Promotion::member).orElse("");
        long appliedAt = System.nanoTime();
        openWrites();
        LOG.info("{}: promotion steps after taking the lock: receiver stopped in {} ms, relay log applied in {} ms, writes open in {} ms",
                config.member().name(), (receiverStoppedAt - lockedAt) / 1_000_000, (appliedAt - receiverStoppedAt) / 1_000_000,
                (System.nanoTime() - appliedAt) / 1_000_000);
        String reason = planned != null ? "planned switchover from " + planned.from() : "lock was free";
        // Bookkeeping waits for the next cycle, which the loop runs at once: clients first learn of the new primary.
        afterPromotion = new Promotion(config.member().name(), previous, reason, System.currentTimeMillis());
        return new Outcome.PromotedSelf(planned != null ? planned.from() : previous, reason);
    }

    /**
     * A peer whose last record shows its receiver still connected to the old primary: its position may still have
     * moved. When the lock was released at once (the primary's database died) the records are up to a cycle old, and
     * a candidate deciding on them could pass over a peer that received more — an acknowledged write in zero-loss
     * mode. Such a peer republishes within a cycle of noticing the primary gone; the wait is bounded by the caller.
     */
    private Optional<MemberRecord> stillReceiving(ClusterView view) {
        return view.members().values().stream()
                .filter(m -> !m.name().equals(config.member().name()) && m.role() == Role.REPLICA && m.promotable())
                .filter(m -> !m.replicatingFrom().isEmpty())
                .findFirst();
    }

    /**
     * Whether a primary has been seen alive since this agent started: its record changed between two cycles (it
     * republishes at least every few seconds), or this member replicates from it. A lock and record merely present
     * may belong to a primary that died just before this member came back (they live out their TTL).
     */
    private void noteLiveLeader(DatabaseReading local, ClusterView view) {
        if (sawLeader) {
            return;
        }
        Optional<MemberRecord> leader = view.leaderRecord().filter(r -> r.role() == Role.PRIMARY);
        if (leader.isPresent()) {
            MemberRecord r = leader.get();
            sawLeader = r.name().equals(leaderSeen) && r.updatedAtMillis() != leaderRecordSeenAt; // equality only: another host's clock
            leaderSeen = r.name();
            leaderRecordSeenAt = r.updatedAtMillis();
        }
        sawLeader |= !following.isEmpty() && view.leader().filter(following::equals).isPresent() && local.replication().ioRunning();
    }

    /**
     * After a total outage (this agent has seen no primary since it started), members in the roster that have not
     * reported yet, during the startup grace only.
     */
    private List<String> missingAfterOutage(ClusterView view) {
        if (sawLeader || System.nanoTime() - startedNanos > config.failover().startupGrace().toNanos()) {
            return List.of();
        }
        return store.roster().stream().filter(name -> !view.members().containsKey(name)).toList();
    }

    /** This member's record for this cycle. */
    public MemberRecord record(DatabaseReading local, MemberState state) {
        var m = config.member();
        boolean healthy = switch (role) {
            case PRIMARY -> local.reachable() && !local.readOnly();
            case REPLICA -> local.replicaHealthy() && (local.lagMillis() < 0 || local.lagMillis() <= config.failover().maximumLag().toMillis());
            case NONE -> local.reachable();
        };
        String error = !local.reachable() ? local.error() : local.replicationProblem();
        return new MemberRecord(m.name(), m.address(), config.mysql().port(), config.api().port(), config.clonePort(), role,
                state, healthy, local.reachable() && !local.replication().sqlFailed() && local.replication().lastSqlErrno() == 0,
                local.eventualPosition().format(), local.binlogState().merge(local.slavePosition()).format(), local.lagMillis(), local.version(),
                error, m.priority(), m.noFailover(), role == Role.REPLICA && local.replication().ioRunning() ? following : "",
                System.currentTimeMillis());
    }
}
