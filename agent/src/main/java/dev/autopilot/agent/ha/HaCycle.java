package dev.autopilot.agent.ha;

import dev.autopilot.agent.cluster.ClusterView;
import dev.autopilot.agent.cluster.ClusterWrites;
import dev.autopilot.agent.cluster.FailsafeRoster;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.agent.cluster.MemberState;
import dev.autopilot.agent.cluster.Promotion;
import dev.autopilot.agent.cluster.Role;
import dev.autopilot.agent.cluster.SwitchoverRequest;
import dev.autopilot.agent.config.AgentConfig;
import dev.autopilot.agent.db.DatabaseReading;
import dev.autopilot.agent.history.EventKind;
import dev.autopilot.agent.history.History;
import dev.autopilot.coordination.CoordinationException;
import dev.autopilot.coordination.LeaderLock;
import dev.autopilot.mysql.auth.Credentials;
import dev.autopilot.mysql.flavor.ReplicationSource;
import dev.autopilot.mysql.flavor.ReplicationStatus;
import dev.autopilot.mysql.gtid.ErrantTransactions;
import dev.autopilot.mysql.gtid.GtidPosition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The decisions of one HA cycle, as ordered guard clauses over one {@link ClusterView} and one
 * {@link DatabaseReading}. Each clause either returns an {@link Outcome} (having acted) or passes to the next.
 * The order is the safety argument: a dead database gives up the lock before anything else; a lost lease
 * fences before anything else; a member that cannot prove it holds the lock is read-only; only then leading,
 * following and electing. Writes open only through the {@link WriteGate}, after the relay log is applied; any
 * failure between taking the lock and opening writes releases the lock and fences.
 *
 * <p>Failsafe mode ({@code failover.failsafe}): while the store is unreachable, a primary keeps writes open past its
 * lease deadline only on the confirmations of every member that it will not take the lock ({@link Failsafe}); it
 * fences the moment they run out, and takes the lock again as soon as the store answers. It never opens writes on
 * them: it only keeps open what the lock opened.
 */
public final class HaCycle {
    private static final Logger LOG = LoggerFactory.getLogger(HaCycle.class);
    /** Re-points at one position after which a receiver stopped on a stream error is rebuilt instead. */
    private static final int UNREADABLE_AFTER_ATTEMPTS = 3;
    /** Receiver errors about the primary's binlog stream itself: 1236 (fatal error reading it), 1595 (event not queued). */
    private static final Set<Integer> STREAM_ERRORS = Set.of(1236, 1595);
    /** A connected receiver that fetched nothing this long while the primary holds more is stalled: 3 × slave_net_timeout. */
    private static final Duration RECEIVER_STALL = Duration.ofSeconds(15);
    /** How long a switchover request counts, measured by each member's own clock from when it first saw it. */
    static final Duration SWITCHOVER_TIMEOUT = Duration.ofSeconds(15);
    static final Duration RELAY_LOG_TIMEOUT = Duration.ofSeconds(30);
    /**
     * How long a switchover target woken by the hand-over waits for the old primary to release the lock (it does so
     * right after writing the hand-over); past it, the lock is left to the ordinary cycles (it expires with its lease).
     */
    static final Duration HANDED_OVER_RELEASE_WAIT = Duration.ofSeconds(1);

    private final AgentConfig config;
    private final String self;
    private final Credentials replication;
    private final DatabaseControl db;
    private final LeaderLock lock;
    private final WriteGate gate;
    private final ClusterWrites store;
    private final HaClock clock;
    private final Election election;
    private final BiConsumer<String, RebuildReason> rebuild;
    private final long startedNanos;
    private final boolean failsafeOn;
    private final Failsafe failsafe;
    private final FailsafePeers peers;
    private final DeadlineAlarm alarm;
    private volatile History history = History.NONE;

    private volatile boolean leaseLost;
    /** The lease is gone and writes stay open on failsafe confirmations alone. */
    private final AtomicBoolean failsafeActive = new AtomicBoolean();
    private volatile long lastStoreReadNanos;
    /** Members that did not confirm the last round; null before the first round of an outage (logged once). */
    private volatile List<String> failsafeMissing;
    private List<String> probed = List.of();
    private volatile Role role = Role.NONE;
    private String following = "";
    private volatile String diverged = "";
    private boolean sawLeader;
    private long lockFreeSinceNanos;
    private String leaderSeen = "";
    private long leaderRecordSeenAt;
    private Promotion afterPromotion;
    private Boolean acknowledging;
    private boolean fellBack;
    /** Restarts of a replication thread that stopped on an error (see restartReceiver, restartApplier). */
    private final Retry receiverRetry = new Retry();
    private final Retry applierRetry = new Retry();
    /** What this member had received when it last fetched something, and since when (see receiverStalled). */
    private String receivedSeen;
    private long receivedSinceNanos;
    /** Graceful stop asked this member to hand over (see {@link #stepDownForStop()}). */
    private volatile boolean stepDownForStop;
    private String switchoverSeen = "";
    private long switchoverSeenAtNanos;

    /** Why this member's data must be replaced by a fresh copy. */
    public enum RebuildReason {
        /** It holds transactions the primary never had. */
        ERRANT_TRANSACTIONS,
        /** The primary purged binlogs it still needs (it was away longer than mysql.binlogRetention). */
        BINLOGS_PURGED,
        /** The primary's binlog cannot be read where this member must go on (a torn event its full disk left behind). */
        BINLOG_UNREADABLE
    }

    /**
     * @param replication the account replicas connect to the primary with
     * @param rebuild     started (off the loop) with the primary's name when this member's data must be replaced by a copy
     * @param peers       how a primary asks every member to confirm failsafe (used only with {@code failover.failsafe})
     * @param alarm       fences when failsafe confirmations run out
     */
    public HaCycle(AgentConfig config, Credentials replication, DatabaseControl db, LeaderLock lock, ClusterWrites store,
                   HaClock clock, BiConsumer<String, RebuildReason> rebuild, FailsafePeers peers, DeadlineAlarm alarm) {
        this.config = config;
        this.self = config.member().name();
        this.replication = replication;
        this.db = db;
        this.lock = lock;
        this.gate = new WriteGate(db, lock);
        this.store = store;
        this.clock = clock;
        this.election = new Election(config.failover().maximumLag(), config.failover().promotionWindow(), config.mysql().zeroLoss());
        this.rebuild = rebuild;
        this.startedNanos = clock.nanoTime();
        this.lastStoreReadNanos = startedNanos;
        this.failsafeOn = config.failover().failsafe();
        // W = the lock's TTL: a member that confirmed waits as long as the store would before the lock could be free.
        this.failsafe = new Failsafe(config.lock().ttl(), config.lock().safetyMargin());
        this.peers = peers;
        this.alarm = alarm;
    }

    /** Where this cycle records the events it causes (lock taken, promotion timings, step-down, semi-sync fallback). */
    public void recordTo(History events) {
        this.history = events;
    }

    /**
     * Who is told the moment this member's writes open or close (HAProxy's runtime API): when {@code read_only=OFF} took
     * under the lock, and when a fence starts (a step-down, a lost lease) or the server exits — not after the cycle.
     */
    public void routeTo(WriteGate.Listener routing) {
        gate.tell(routing);
    }

    /**
     * Graceful stop: the next cycle, if it leads, steps down for the best replica as it would on a switchover request
     * naming none. Told directly instead of through a request in the store: writing one first cost a round trip and a
     * wasted cycle on every member, all of it while the primary was still writable and the clients waiting for the stop.
     */
    public void stepDownForStop() {
        stepDownForStop = true;
    }

    /**
     * Graceful stop, at once: while this member leads with its writes open, steps down on {@code view} (the last cycle's,
     * at most a loop interval old) for the best replica there, as a switchover naming none would. Empty when it does
     * not lead now; {@link #stepDownForStop()} then leaves it to the next cycle. A fresh cycle first (the database read,
     * the record published, the view read) cost ~50 ms before the fence while clients waited for the stop (issue 14 §2);
     * the view's age does not matter to safety: the target must still apply the final position handed to it.
     */
    public Optional<Outcome> stepDownNow(ClusterView view) {
        if (role != Role.PRIMARY || !lock.isHeld() || !gate.isOpen() || failsafeActive.get()) {
            return Optional.empty();
        }
        stepDownForStop = false;
        return Optional.of(stepDown(view, new SwitchoverRequest(self, "", clock.currentTimeMillis(), "")));
    }

    /** Whether this member's writes are open now: opened under the leader lock and not closed (or being fenced) since. */
    public boolean writesOpen() {
        return gate.isOpen();
    }

    /** Whether this member holds transactions the primary never had and is held for an operator (failover.onErrant: hold). */
    public boolean diverged() {
        return !diverged.isEmpty();
    }

    /** Whether this member acknowledges semi-sync writes now (zero-loss mode, a replica eligible for promotion). */
    public boolean acknowledgesSemiSync() {
        return Boolean.TRUE.equals(acknowledging);
    }

    /** The role this member has now. */
    public Role role() {
        return role;
    }

    /**
     * Called by the lease watchdog, off the HA loop's thread: fence at once (the gate serialises it with opening), unless
     * failsafe confirmations of every member cover this instant; then writes stay open until they run out.
     */
    public void onLeaseLost(String reason) {
        if (failsafeOn && role == Role.PRIMARY && failsafe.covers(clock.nanoTime())) {
            failsafeActive.set(true);
            LOG.warn("{}: leader lease lost ({}); failsafe: every member ({}) confirmed it will not take the lock, so writes"
                            + " stay open while the confirmations last ({} ms now, extended by every round) and the lock is taken"
                            + " again when the store answers",
                    self, reason, String.join(", ", names(failsafe.members())),
                    (failsafe.deadline().orElse(clock.nanoTime()) - clock.nanoTime()) / 1_000_000);
            alarm.arm(this::failsafeDeadlineNanos, this::onFailsafeDeadline);
            return;
        }
        fenceForLeaseLoss(reason);
    }

    private void fenceForLeaseLoss(String reason) {
        leaseLost = true;
        if (gate.fence()) {
            LOG.warn("{}: leader lease lost ({}); server is read-only, client connections killed; will rejoin as a replica",
                    self, reason);
        } else {
            LOG.error("{}: leader lease lost ({}) and fencing failed; the next HA cycle fences again", self, reason);
        }
    }

    /** Runs the rules on one reading of the database and the cluster. */
    public Outcome run(DatabaseReading local, ClusterView view) {
        long epoch = gate.epoch(); // before any decision: a fence from here on forbids opening writes in this cycle
        lastStoreReadNanos = clock.nanoTime();
        if (failsafeOn) {
            List<MemberRecord> others = view.members().values().stream().filter(m -> !m.name().equals(self)).toList();
            if (failsafeActive.get()) {
                failsafe.widenRoster(others); // a member whose record lapsed in the outage may still be alive
            } else {
                failsafe.roster(others);
                if (failsafeMissing != null) {
                    endEpisode(); // the store answered before the lease ran out: that outage is over
                }
            }
        }
        noteLiveLeader(local, view);
        lockFreeSinceNanos = view.leader().isPresent() ? 0 : (lockFreeSinceNanos != 0 ? lockFreeSinceNanos : clock.nanoTime());
        if (!local.reachable()) {
            return databaseDown(local);
        }
        if (leaseLost) {
            return afterLeaseLoss(local);
        }
        if (failsafeActive.get()) {
            return afterOutage(local, view, epoch);
        }
        if (lock.isHeld()) {
            return lead(local, view, epoch);
        }
        if (role == Role.PRIMARY || !local.readOnly()) {
            Optional<Outcome> unfenced = fenceNonHolder(local, "the leader lock is not held by this member");
            if (unfenced.isPresent()) {
                return unfenced.get();
            }
        }
        Optional<String> leader = view.leader();
        if (leader.isPresent() && !leader.get().equals(self)) {
            Optional<SwitchoverRequest> handedOver = handedOverToSelf(view, leader.get());
            if (handedOver.isPresent()) {
                return promote(local, view, handedOver.get(), epoch);
            }
            return follow(local, view, leader.get());
        }
        return elect(local, view, epoch);
    }

    /**
     * The lock holder has fenced itself and handed its final position to this member, and is about to release the lock:
     * the same planned hand-over {@link #elect} would carry out a cycle later, once the release is seen. Taking it from
     * here, waiting for the release (bounded) instead of for the next cycle, saves the hand-over a whole cycle on the
     * target (graceful stop, bench/failover: the cycle woken by the hand-over found the lock still held, and the next one
     * came 120-350 ms after the release on a loaded machine). The checks are {@link #elect}'s for a planned target.
     */
    private Optional<SwitchoverRequest> handedOverToSelf(ClusterView view, String holder) {
        Optional<SwitchoverRequest> sw = view.switchover()
                .filter(r -> r.to().equals(self) && r.from().equals(holder) && r.handedOver());
        if (sw.isEmpty() || !fresh(sw.get()) || !diverged.isEmpty() || view.paused()
                || failsafe.promised(clock.nanoTime()).isPresent()) {
            return Optional.empty();
        }
        return sw;
    }

    /**
     * The cycle when the store could not be read: nothing can be decided, but a member that does not hold the lock by
     * its own clock must not stay writable through the outage (design rule 7).
     */
    public Outcome withoutStore(DatabaseReading local, String error) {
        if (failsafeActive.get()) {
            if (!local.reachable()) {
                return failsafeOver("database not answering (" + local.error() + ") while leading under failsafe");
            }
            if (!failsafe.covers(clock.nanoTime())) {
                return failsafeOver("failsafe confirmations ran out (" + describeMissing() + ") with the store unreachable");
            }
            return new Outcome.FailsafeLeading(names(failsafe.members()));
        }
        if (failsafeOn && role == Role.PRIMARY && lock.isHeld() && local.reachable() && !local.readOnly()
                && failsafe.covers(clock.nanoTime())) {
            return new Outcome.FailsafeLeading(names(failsafe.members()));
        }
        if (local.reachable() && !lock.isHeld() && (role == Role.PRIMARY || !local.readOnly())) {
            Optional<Outcome> unfenced = fenceNonHolder(local, "coordination store unreachable and the lock not held");
            if (unfenced.isPresent()) {
                return unfenced.get();
            }
        }
        return new Outcome.StoreUnreachable(error);
    }

    private Optional<Outcome> fenceNonHolder(DatabaseReading local, String why) {
        boolean fenced = gate.fence();
        role = Role.NONE;
        following = "";
        if (!fenced) {
            return Optional.of(new Outcome.FenceFailed(why));
        }
        LOG.warn("{}: server was writable but {}; fenced it", self, why);
        return local.readOnly() ? Optional.empty() : Optional.of(new Outcome.Fenced(why));
    }

    private Outcome afterLeaseLoss(DatabaseReading local) {
        leaseLost = false;
        role = Role.NONE;
        following = "";
        // The reading may predate the lease-loss fence, or that fence failed: never report a fence that is not proven.
        if (!local.readOnly() && !gate.fence()) {
            leaseLost = true;
            return new Outcome.FenceFailed("lease lost");
        }
        return new Outcome.Fenced("lease lost");
    }

    /**
     * The store answers again after an outage this member led through under failsafe: take the lock back at once (the
     * members still keep their promises), or fence if someone else has it or the confirmations ran out first.
     */
    private Outcome afterOutage(DatabaseReading local, ClusterView view, long epoch) {
        Optional<String> leader = view.leader();
        if (leader.isPresent() && !leader.get().equals(self)) {
            return failsafeOver(leader.get() + " holds the leader lock");
        }
        failsafeRound(); // now, not at the next tick: the fresh view may list a member that has not been asked yet
        if (!failsafe.covers(clock.nanoTime())) {
            return failsafeOver("failsafe confirmations ran out (" + describeMissing() + ") before the lock was taken again");
        }
        if (leader.isEmpty()) {
            if (lock.tryAcquire()) {
                failsafeActive.set(false);
                endEpisode();
                LOG.info("{}: coordination store answers again; leader lock taken back, writes stayed open throughout under"
                        + " failsafe", self);
                return lead(local, view, epoch);
            }
            String holder = lock.holder().orElse("");
            if (!holder.isEmpty() && !holder.equals(self)) {
                return failsafeOver(holder + " took the leader lock");
            }
        }
        // The key still carries this member's lost lease: it goes when the lease is revoked or expires. Rounds go on.
        return new Outcome.FailsafeLeading(names(failsafe.members()));
    }

    /** Ends failsafe leadership from the HA loop: fenced, as after a lease loss. */
    private Outcome failsafeOver(String why) {
        failsafeActive.set(false);
        endEpisode();
        role = Role.NONE;
        following = "";
        if (!gate.fence()) {
            leaseLost = true; // the next cycle fences again
            return new Outcome.FenceFailed(why);
        }
        LOG.warn("{}: {}; server is read-only, client connections killed; will rejoin as a replica", self, why);
        return new Outcome.Fenced(why);
    }

    /** The alarm's deadline: the failsafe deadline while leading under failsafe, otherwise now (the alarm then ends). */
    private long failsafeDeadlineNanos() {
        long now = clock.nanoTime();
        return failsafeActive.get() ? failsafe.deadline().orElse(now) : now;
    }

    /** The failsafe deadline passed by this host's clock: fence unless a round extended it meanwhile. */
    private void onFailsafeDeadline() {
        if (!failsafeActive.get()) {
            return;
        }
        if (failsafe.covers(clock.nanoTime())) {
            alarm.arm(this::failsafeDeadlineNanos, this::onFailsafeDeadline);
            return;
        }
        if (failsafeActive.compareAndSet(true, false)) {
            String missing = describeMissing();
            endEpisode();
            fenceForLeaseLoss("failsafe confirmations ran out: " + missing);
        }
    }

    /** Whether this member leads on failsafe confirmations alone (its lease lost, the store unreachable or not yet retaken). */
    /**
     * How long this member may keep writes open from now without the agent: its own lease deadline while it holds the
     * lock, the failsafe deadline while it leads under failsafe, else zero. What the server's dead-man switch is armed to.
     */
    public Duration writeAuthorityRemaining() {
        boolean held = lock.isHeld();
        Duration lease = held ? lock.remainingLease() : Duration.ZERO;
        // While failsafe rounds run, the confirmations already cover the moment the lease runs out: arm to the later of
        // the two, so the switch does not fire in the instant between the lease deadline and the hand-over to failsafe.
        OptionalLong confirmedUntil = failsafeOn && (held || failsafeActive.get()) ? failsafe.deadline() : OptionalLong.empty();
        Duration onConfirmations = confirmedUntil.isPresent()
                ? Duration.ofNanos(Math.max(0, confirmedUntil.getAsLong() - clock.nanoTime())) : Duration.ZERO;
        return lease.compareTo(onConfirmations) >= 0 ? lease : onConfirmations;
    }

    public boolean leadsUnderFailsafe() {
        return failsafeActive.get();
    }

    /**
     * Until when ({@link System#nanoTime()}) this member may keep writes open on failsafe confirmations: present only
     * while it leads under failsafe. A watchdog that bounds how long the server stays writable without the agent (the
     * dead-man switch) must use this instead of the lease deadline meanwhile.
     */
    public OptionalLong failsafeDeadline() {
        return failsafeActive.get() ? failsafe.deadline() : OptionalLong.empty();
    }

    /**
     * Whether a failsafe round is due: failsafe on, and leading with the store silent for one and a half loop intervals
     * (a cycle overdue). Early on purpose: the first confirmations must be in before the lease deadline, which can come
     * half a second after the store's last answer; a needless round only makes the members wait W longer to promote.
     */
    public boolean failsafeDue() {
        if (!failsafeOn) {
            return false;
        }
        boolean storeSilent = clock.nanoTime() - lastStoreReadNanos > config.failover().loopInterval().toNanos() * 3 / 2;
        return failsafeActive.get() || (role == Role.PRIMARY && storeSilent && lock.isHeld());
    }

    /**
     * One failsafe round, when due: asks every member of the roster at once to promise not to take the lock for W, and
     * records who confirmed with the round's send time (taken before the first request leaves). When not due, a
     * primary whose roster changed probes it once with a 1 ms window: that warms both ends (the first request of a JVM
     * is slow, and an outage is no time for that) and says now, not in an outage, when a member would not confirm.
     */
    public void failsafeRound() {
        if (!failsafeDue()) {
            probe();
            return;
        }
        List<MemberRecord> members = failsafe.members();
        Duration window = failsafe.window();
        Duration timeout = roundTimeout();
        long sent = clock.nanoTime();
        Set<String> confirmed = members.isEmpty() ? Set.of() : peers.confirm(self, members, window, timeout);
        failsafe.confirmed(sent, confirmed);
        List<String> missing = names(members).stream().filter(n -> !confirmed.contains(n)).toList();
        if (!missing.equals(failsafeMissing)) { // the first round of an outage, and each change
            if (missing.isEmpty()) {
                LOG.info("{}: failsafe: store not answering; every member ({}) confirmed it will not take the lock for {} ms",
                        self, String.join(", ", names(members)), window.toMillis());
            } else {
                LOG.warn("{}: failsafe: {} did not confirm; without the lease, writes stay open only until the confirmations"
                        + " already given run out", self, String.join(", ", missing));
            }
            failsafeMissing = missing;
        }
    }

    /**
     * As a member: a primary asks this one not to take the leader lock for {@code window}, by this member's own clock
     * from now. Returns what was promised.
     *
     * @throws IllegalStateException when this member leads itself (it never promises that)
     * @throws IllegalArgumentException when the window is not between 1 ms and 60 s
     */
    public String confirmFailsafe(String primary, Duration window) {
        if (window.isNegative() || window.isZero() || window.compareTo(Duration.ofSeconds(60)) > 0) {
            throw new IllegalArgumentException("failsafe window " + window.toMillis() + " ms must be between 1 ms and 60 s");
        }
        if (primary.isBlank() || primary.equals(self)) {
            throw new IllegalArgumentException("failsafe request must name the asking primary, not '" + primary + "'");
        }
        if (lock.isHeld() || role == Role.PRIMARY || failsafeActive.get()) {
            throw new IllegalStateException(self + " leads itself; it does not promise " + primary + " to stay off the lock");
        }
        long now = clock.nanoTime();
        boolean fresh = failsafe.promised(now).filter(primary::equals).isEmpty();
        failsafe.promise(primary, window, now);
        if (fresh && window.compareTo(Duration.ofSeconds(1)) >= 0) { // probes of a new roster promise 1 ms: not worth a line
            LOG.warn("{}: failsafe: promised {} not to take the leader lock for {} ms (renewed while it keeps asking)",
                    self, primary, window.toMillis());
        }
        return self + " will not take the leader lock for " + window.toMillis() + " ms";
    }

    /** Forgets the confirmations of this outage: the next one starts from none. */
    private void endEpisode() {
        failsafe.reset();
        failsafeMissing = null;
    }

    private Duration roundTimeout() {
        return Duration.ofMillis(Math.min(1500, failsafe.window().minus(config.lock().safetyMargin()).toMillis() / 2));
    }

    private void probe() {
        if (!failsafeOn || role != Role.PRIMARY || !lock.isHeld()) {
            probed = List.of();
            return;
        }
        List<MemberRecord> members = failsafe.members();
        if (members.isEmpty() || names(members).equals(probed)) {
            return;
        }
        probed = names(members);
        Set<String> answered = peers.confirm(self, members, Duration.ofMillis(1), roundTimeout());
        List<String> silent = probed.stream().filter(n -> !answered.contains(n)).toList();
        if (!silent.isEmpty()) {
            LOG.warn("{}: failsafe: {} did not answer a probe of POST /failsafe; in a store outage now this primary would"
                    + " fence (check that its agent's REST API is reachable and has the same cluster token)", self, String.join(", ", silent));
        }
    }

    private String describeMissing() {
        List<String> never = failsafe.unconfirmed();
        if (!never.isEmpty()) {
            return "never confirmed by " + String.join(", ", never);
        }
        List<String> missing = failsafeMissing;
        return missing == null || missing.isEmpty() ? "no round confirmed in time" : "not confirmed by " + String.join(", ", missing);
    }

    private static List<String> names(List<MemberRecord> members) {
        return members.stream().map(MemberRecord::name).toList();
    }

    /**
     * The database does not answer. Its process has exited: nothing can write, so the lock goes at once. It is alive
     * but stalled: it may still take writes once it wakes up, so it is fenced (which escalates to stopping it) first,
     * and the lock is kept when even that fails, since no second member may become writable beside it. In zero-loss
     * mode it is stopped outright: its stalled commits (a full disk) would be committed unacknowledged by a session
     * kill, leaving it "more advanced" than every replica, and its binlog torn where the disk ran out; killed, it
     * commits nothing, and its restart truncates both (fault campaign seed 501, reads gone backwards).
     */
    private Outcome databaseDown(DatabaseReading local) {
        if (failsafeActive.get()) {
            return failsafeOver("database not answering (" + local.error() + ") while leading under failsafe");
        }
        if (!lock.isHeld()) {
            role = role == Role.PRIMARY ? Role.NONE : role;
            gate.markClosed(); // the lease's loss fenced it, or tries to
            return new Outcome.DatabaseDown(local.error());
        }
        boolean exited = !db.processAlive();
        if (exited) {
            gate.markClosed(); // clients go elsewhere now, before the lock is released
        }
        if (!exited && !(config.mysql().zeroLoss() ? gate.stop() : gate.fence())) {
            return new Outcome.FenceFailed("database not answering (" + local.error() + ") and could not be fenced or stopped;"
                    + " keeping the lock so that no second member becomes writable");
        }
        releaseLock();
        role = Role.NONE;
        return new Outcome.ReleasedLock("database " + (exited ? "exited" : "not answering, fenced") + " (" + local.error()
                + "); a replica takes over now");
    }

    /**
     * The database's process just exited (the supervisor saw it): a primary gives the lock up now, before any reading of
     * the dead server or the store — nothing can write, so there is nothing to fence — and the replicas, woken by the
     * lock's deletion, elect at once. Empty when this member does not hold the lock or its server still runs (a
     * restart won the race: the next cycle decides as usual). Under failsafe the cycle decides, as for any outage.
     */
    public Optional<Outcome> onDatabaseExit(String exit) {
        if (failsafeActive.get() || !lock.isHeld() || db.processAlive()) {
            return Optional.empty();
        }
        gate.markClosed();
        releaseLock();
        role = Role.NONE;
        return Optional.of(new Outcome.ReleasedLock("database exited (" + exit + "); a replica takes over now"));
    }

    private Outcome lead(DatabaseReading local, ClusterView view, long epoch) {
        if (stepDownForStop) {
            stepDownForStop = false;
            return stepDown(view, new SwitchoverRequest(self, "", clock.currentTimeMillis(), ""));
        }
        Optional<SwitchoverRequest> sw = view.switchover();
        if (sw.isPresent()) {
            SwitchoverRequest request = sw.get();
            if (view.paused() && request.from().equals(self) && !request.handedOver()) {
                // Paused, no member takes the lock: a step-down would leave the cluster without a primary until the
                // request timed out and this member took the lock back (an operator who paused, then switched over).
                store.clearSwitchover();
                String why = "the cluster is paused and no member takes the lock while it is; resume it, then switch over";
                LOG.warn("{}: switchover refused: {}; staying primary", self, why);
                return new Outcome.SwitchoverRefused(why);
            }
            if (request.from().equals(self) && !request.handedOver() && fresh(request)) {
                return stepDown(view, request);
            }
            if (!request.to().equals(self) || afterPromotion == null) {
                // Handed over but the target never took the lock, or too old, or aimed elsewhere: it is done.
                LOG.warn("{}: clearing switchover request {} -> {}: {}", self, request.from(), request.to(),
                        request.from().equals(self) && request.handedOver()
                                ? "this member leads again, the target did not take over" : "it was not completed in time");
                store.clearSwitchover();
            }
        }
        // Also when the gate is closed on a writable server: a fence that failed (a refused switchover's) closed it,
        // and a leader that routing and /primary never see as writable would leave the cluster without a primary.
        if (role != Role.PRIMARY || local.readOnly() || !gate.isOpen()) {
            Optional<String> failed = openWrites(local, epoch, false);
            if (failed.isPresent()) {
                return new Outcome.PromotionAbandoned(failed.get());
            }
        }
        if (local.asyncFallback() != fellBack) {
            fellBack = local.asyncFallback();
            if (fellBack) {
                LOG.warn("{}: semi-sync fell back to asynchronous replication: no eligible replica acknowledged within {} ms;"
                        + " writes acknowledged from now on exist on this member only until a replica catches up", self,
                        config.mysql().semiSyncTimeout().toMillis());
            } else {
                LOG.info("{}: semi-sync acknowledgements are back: writes are on a replica before they are acknowledged", self);
            }
            history.record(fellBack ? EventKind.SEMI_SYNC_FALLBACK : EventKind.SEMI_SYNC_BACK, self + (fellBack
                    ? ": semi-sync fell back to asynchronous replication (no eligible replica acknowledged in time)"
                    : ": semi-sync acknowledgements are back"));
        }
        if (afterPromotion != null) {
            Optional<SwitchoverRequest> completed = view.switchover().filter(s -> s.to().equals(self));
            if (completed.isPresent()) {
                store.clearSwitchover();
                history.record(EventKind.SWITCHOVER_COMPLETED, "switchover from " + completed.get().from() + " to " + self
                        + " completed", Map.of("from", completed.get().from(), "requestedToLeadingMillis",
                        clock.currentTimeMillis() - completed.get().requestedAtMillis()));
            }
            store.recordPromotion(afterPromotion);
            afterPromotion = null;
        }
        publishFailsafeRoster(view);
        return new Outcome.Leading();
    }

    /**
     * Failsafe on: the members this primary asks, published so that a member it does not know of (its record was absent
     * from this view) never takes the lock while this primary may be writing on the others' promises.
     */
    private void publishFailsafeRoster(ClusterView view) {
        if (!failsafeOn) {
            return;
        }
        List<String> asked = new ArrayList<>(names(failsafe.members()));
        asked.add(self);
        FailsafeRoster roster = new FailsafeRoster(asked, self);
        if (!view.failsafeRoster().equals(Optional.of(roster))) {
            store.publishFailsafeRoster(roster);
        }
    }

    /** Planned switchover or graceful stop: read-only, connections dropped, final position handed to the target, lock released. */
    private Outcome stepDown(ClusterView view, SwitchoverRequest request) {
        String target = request.to().isEmpty()
                ? election.best(view, clock.currentTimeMillis(), self).map(MemberRecord::name).orElse("")
                : request.to();
        Optional<MemberRecord> targetRecord = view.member(target);
        if (targetRecord.isEmpty() || !targetRecord.get().promotable() || targetRecord.get().role() != Role.REPLICA) {
            store.clearSwitchover();
            String why = target.isEmpty() ? "no healthy eligible replica"
                    : target + " is not a live, promotable replica";
            LOG.warn("{}: switchover refused: {}; staying primary", self, why);
            return new Outcome.SwitchoverRefused(why);
        }
        long start = clock.nanoTime();
        if (!gate.fence()) {
            store.clearSwitchover();
            return new Outcome.FenceFailed("switchover to " + target + " abandoned: this member could not be made read-only");
        }
        GtidPosition finalPosition = db.position();
        long fencedAt = clock.nanoTime();
        store.requestSwitchover(new SwitchoverRequest(request.from(), target, request.requestedAtMillis(), finalPosition.format(), true));
        long handedAt = clock.nanoTime();
        releaseLock();
        long releasedAt = clock.nanoTime();
        LOG.info("{}: step-down steps: read-only in {} ms, final position {} handed to {} in {} ms, lock released in {} ms",
                self, (fencedAt - start) / 1_000_000, finalPosition, target, (handedAt - fencedAt) / 1_000_000,
                (releasedAt - handedAt) / 1_000_000);
        history.record(EventKind.STEPPED_DOWN, self + " stepped down for " + target + " at GTID position " + finalPosition,
                Map.of("target", target, "readOnlyMillis", (fencedAt - start) / 1_000_000, "handOverMillis",
                        (handedAt - fencedAt) / 1_000_000, "releaseMillis", (releasedAt - handedAt) / 1_000_000));
        role = Role.NONE;
        following = "";
        return new Outcome.SteppedDown(target);
    }

    /**
     * Drains the relay log (unless {@code detached}: the caller stopped replication already), then opens writes through
     * the gate. Empty when writes are open; otherwise why not, with the lock released and the server fenced (design rule
     * 7: any failure on the way releases the lock and fences).
     */
    private Optional<String> openWrites(DatabaseReading local, long epoch, boolean detached) {
        try {
            long start = clock.nanoTime();
            if (!detached) {
                Optional<String> notDrained = detachReplication(local);
                if (notDrained.isPresent()) {
                    return Optional.of(abandon(notDrained.get()));
                }
            }
            long appliedAt = clock.nanoTime();
            db.prepareWrites();
            if (!gate.open(epoch)) {
                return Optional.of(abandon("lease lost or fenced while promoting"));
            }
            role = Role.PRIMARY;
            following = "";
            long openedAt = clock.nanoTime();
            if (detached) {
                LOG.info("{}: writes open {} ms after taking the lock (replication stopped before it)", self, (openedAt - start) / 1_000_000);
            } else {
                LOG.info("{}: writes open: relay log applied in {} ms, writes open in {} ms", self, (appliedAt - start) / 1_000_000,
                        (openedAt - appliedAt) / 1_000_000);
            }
            history.record(EventKind.PROMOTED, self + " is the primary: relay log applied, writes open", Map.of(
                    "drainMillis", (appliedAt - start) / 1_000_000, "openMillis", (openedAt - appliedAt) / 1_000_000));
            return Optional.empty();
        } catch (RuntimeException e) {
            return Optional.of(abandon("promotion step failed: " + e.getMessage()));
        }
    }

    /**
     * Replication stopped and forgotten, everything received applied first: empty when done, otherwise why not. Only the
     * receiver stops first: stopping the applier too would discard the unapplied relay log in GTID mode.
     */
    private Optional<String> detachReplication(DatabaseReading local) {
        if (local.replication().configured()) {
            db.stopReceiver();
            if (!drainRelayLog()) {
                return Optional.of("relay log not fully applied within " + RELAY_LOG_TIMEOUT.toSeconds() + " s; opening writes would lose it");
            }
        }
        db.detachReplication();
        return Optional.empty();
    }

    /**
     * Waits for the applier in one-second slices, vouching for this member's liveness to the lock between them (the
     * lock fences a holder that stops confirming, and a long drain is progress, not a stuck loop).
     */
    private boolean drainRelayLog() {
        long until = clock.nanoTime() + RELAY_LOG_TIMEOUT.toNanos();
        while (true) {
            if (db.awaitRelayLogApplied(Duration.ofSeconds(1))) {
                return true;
            }
            if (clock.nanoTime() >= until) {
                return false;
            }
            lock.confirmAlive();
        }
    }

    private String abandon(String why) {
        LOG.warn("{}: not opening writes: {}; releasing the lock and fencing", self, why);
        releaseLock();
        gate.fence();
        role = Role.NONE;
        following = "";
        return why;
    }

    private void releaseLock() {
        try {
            lock.release();
        } catch (CoordinationException e) {
            LOG.warn("{}: could not delete the leader lock ({}); it expires with its lease", self, e.getMessage());
        }
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
        if (!p.healthy()) {
            // Its record was read from a database that did not answer (a full disk, a stall): it names no history, and
            // comparing against it would take every transaction here for an errant one (fault campaign seed 31). Nor is
            // a receiver that fetches nothing from it meanwhile stalled: the stall clock starts when it answers again.
            receivedSeen = null;
            return new Outcome.Following(leader + " (waiting for its database to answer)");
        }
        GtidPosition primaryKnown = GtidPosition.parse(p.knownGtids());
        boolean pointed = following.equals(leader) && local.replication().configured()
                && local.replication().sourceHost().equals(p.address()) && local.replication().sourcePort() == p.mysqlPort();
        if (pointed) {
            // Written here, under this server's own server_id, and unknown to the primary: a client wrote to a replica.
            List<ErrantTransactions.ErrantRange> localWrites = ErrantTransactions.find(local.binlogState(), primaryKnown).stream()
                    .filter(r -> r.origin().serverId() == db.serverId())
                    .toList();
            if (!localWrites.isEmpty()) {
                return diverge(leader, localWrites, "written straight into this replica while it replicated");
            }
            if (positionPurged(local.replication())) {
                LOG.warn("{}: primary {} no longer has the binlogs this member needs ({}); rebuilding it by live clone",
                        self, leader, local.replication().lastIoError());
                role = Role.NONE; // `following` stays: until the rebuild takes over, the next cycle lands here again, no re-point
                rebuild.accept(leader, RebuildReason.BINLOGS_PURGED);
                return new Outcome.FellBehind(leader, local.replication().lastIoError());
            }
            acknowledgeIfEligible(local);
            role = Role.REPLICA;
            if (local.replication().io() == ReplicationStatus.IoState.STOPPED && local.replication().lastIoErrno() != 0) {
                ReplicationStatus r = local.replication();
                return restartReceiver(local, p, leader, "stopped with error " + r.lastIoErrno() + " (" + r.lastIoError() + ")",
                        STREAM_ERRORS.contains(r.lastIoErrno()));
            }
            if (receiverStalled(local, primaryKnown)) {
                return restartReceiver(local, p, leader, "connected but fetched nothing for " + RECEIVER_STALL.toSeconds()
                        + " s while the primary is at " + primaryKnown.format() + " and this member at " + local.eventualPosition().format(), true);
            }
            if (local.replication().sqlFailed()) {
                return restartApplier(local, leader);
            }
            if (!local.replication().ioRunning() && local.replication().lastIoErrno() == 0 && !local.replication().sqlFailed()) {
                db.startReplica();
            }
            return new Outcome.Following(leader);
        }
        if (!diverged.isEmpty() && diverged.equals(leader)) {
            return new Outcome.Diverged(leader, -1, "held for an operator (failover.onErrant: hold)");
        }
        // Before replicating from a (new) primary, make sure this member holds nothing the primary lacks. The primary's own
        // writes are not errant however far they run ahead of its record: a new primary writes from the moment it opens,
        // and a peer still chained to the old primary receives them before the record says so (fault campaign seed 501).
        List<ErrantTransactions.ErrantRange> errant = ErrantTransactions.find(local.binlogState(), primaryKnown, p.serverId());
        if (!errant.isEmpty()) {
            return diverge(leader, errant, "found before replicating from it");
        }
        // A former primary's own writes are in its binlog, not in gtid_slave_pos: start from everything it has.
        GtidPosition start = appliedPosition(local);
        acknowledging = null;
        acknowledgeIfEligible(local);
        receivedSeen = null; // a new stream: the stall clock starts when it is first read
        db.follow(source(p), start);
        role = Role.REPLICA;
        following = leader;
        return new Outcome.Repointed(leader);
    }

    /** Where replication starts: a former primary's own writes are in its binlog, not in gtid_slave_pos. */
    private static GtidPosition appliedPosition(DatabaseReading local) {
        return local.slavePosition().merge(local.position()).perDomain();
    }

    private ReplicationSource source(MemberRecord primary) {
        return ReplicationSource.of(primary.address(), primary.mysqlPort(), replication).withTls(config.mysql().tls().map(AgentConfig.Tls::caFile));
    }

    /**
     * The receiver stopped on an error the server does not retry by itself (fault campaign seed 501: "Relay log write
     * failure: could not queue event from master" after the primary's disk filled): replication would stay down until an
     * operator restarted it. Re-pointing fetches everything after what this member applied again, into new relay logs;
     * the primary still has it (a purged position is handled before, by a rebuild). Retried with backoff.
     */
    private Outcome restartReceiver(DatabaseReading local, MemberRecord primary, String leader, String why, boolean unreadable) {
        receiverRetry.stuckAt(local.position().format());
        if (!receiverRetry.due(clock.nanoTime())) {
            return new Outcome.Following(leader + " (its receiver " + why + "; re-pointing again in at most "
                    + receiverRetry.delay().toSeconds() + " s)");
        }
        if (unreadable && receiverRetry.attempts() >= UNREADABLE_AFTER_ATTEMPTS) {
            // The primary's binlog cannot be read or queued from where this member stands (FaultScenariosTest, seed 501: "log
            // event entry exceeded max_allowed_packet", "binlog truncated in the middle of event; consider out of disk space
            // on master", "Relay log write failure: could not queue event", or a dump thread that hangs on the event, all a
            // torn event its full disk left): no re-point gets past it.
            LOG.warn("{}: primary {} cannot send its binlog from this member's position after {} re-points (its receiver {});"
                    + " rebuilding it by live clone", self, leader, receiverRetry.attempts(), why);
            role = Role.NONE;
            rebuild.accept(leader, RebuildReason.BINLOG_UNREADABLE);
            return new Outcome.FellBehind(leader, why);
        }
        LOG.warn("{}: receiver from {} {}; re-pointing from the applied position to fetch the rest again", self, leader, why);
        db.follow(source(primary), appliedPosition(local));
        receiverRetry.attempted(clock.nanoTime());
        return new Outcome.Repointed(leader);
    }

    /**
     * The receiver says it is connected, yet has fetched nothing for {@link #RECEIVER_STALL} while the primary holds more
     * (FaultScenariosTest, seed 501: the full primary's binlog kept a torn event and its dump threads hung on it, silently;
     * the replicas stayed "connected" at the same position for good while the primary went on alone, asynchronously). A
     * silent network is told apart by the server itself: it drops a connection that hears no heartbeat within
     * {@code slave_net_timeout} (5 s), and the receiver then shows CONNECTING, which this rule leaves alone.
     */
    private boolean receiverStalled(DatabaseReading local, GtidPosition primaryKnown) {
        GtidPosition received = local.eventualPosition();
        // Both: the binlog offset moves within a large transaction, whose GTID arrives only with its last event.
        String progress = received.format() + " " + local.replication().readSourceAt();
        long now = clock.nanoTime();
        if (received.includes(primaryKnown) || !progress.equals(receivedSeen)) {
            receivedSeen = progress;
            receivedSinceNanos = now;
            return false;
        }
        return local.replication().ioRunning() && now - receivedSinceNanos >= RECEIVER_STALL.toNanos();
    }

    /**
     * The applier stopped on an error (fault campaign seed 502: "The table 'w' is full", 1114, while the replica's disk
     * was full): the server never restarts it, so the replica stayed down after the disk had room again. Restarting it
     * retries the same event, never skips one: an error that is for good (a diverged row) fails again, and the member
     * stays unhealthy and unpromotable as before. Retried with backoff.
     */
    private Outcome restartApplier(DatabaseReading local, String leader) {
        ReplicationStatus r = local.replication();
        applierRetry.stuckAt(local.position().format());
        if (!applierRetry.due(clock.nanoTime())) {
            return new Outcome.Following(leader + " (its applier stopped with error " + r.lastSqlErrno() + "; restarting it again in at most "
                    + applierRetry.delay().toSeconds() + " s)");
        }
        LOG.warn("{}: applier stopped with error {} ({}); restarting it to retry the event", self, r.lastSqlErrno(), r.lastSqlError());
        db.startReplica();
        applierRetry.attempted(clock.nanoTime());
        return new Outcome.Following(leader + " (its applier stopped with error " + r.lastSqlErrno() + "; restarted)");
    }

    /**
     * Doubling waits, 2 s up to 60 s, between restarts of a replication thread that keeps stopping on an error at the same
     * position; progress starts the count afresh. (A restarted thread runs for a moment before it fails again, so "it is
     * running" cannot end the backoff: FaultScenariosTest saw re-points every second.)
     */
    private static final class Retry {
        private static final Duration FIRST = Duration.ofSeconds(2);
        private static final Duration MAX = Duration.ofSeconds(60);
        private Duration delay = FIRST;
        private long atNanos = Long.MIN_VALUE;
        private int attempts;
        private String position = "";

        /** Where the thread stopped this time: elsewhere than last time, it is a new problem. */
        void stuckAt(String now) {
            if (!now.equals(position)) {
                reset();
                position = now;
            }
        }

        boolean due(long nowNanos) {
            return atNanos == Long.MIN_VALUE || nowNanos - atNanos >= 0;
        }

        void attempted(long nowNanos) {
            attempts++;
            atNanos = nowNanos + delay.toNanos();
            delay = delay.multipliedBy(2).compareTo(MAX) > 0 ? MAX : delay.multipliedBy(2);
        }

        Duration delay() {
            return delay;
        }

        int attempts() {
            return attempts;
        }

        void reset() {
            delay = FIRST;
            atNanos = Long.MIN_VALUE;
            attempts = 0;
        }
    }

    /**
     * Zero-loss mode: only a replica that could be promoted acknowledges semi-sync writes, so an acknowledged write never
     * lives only on a member that cannot win an election (nofailover, or lagging past failover.maximumLag).
     */
    private void acknowledgeIfEligible(DatabaseReading local) {
        if (!config.mysql().zeroLoss()) {
            return;
        }
        boolean eligible = !config.member().noFailover()
                && (local.lagMillis() < 0 || local.lagMillis() <= config.failover().maximumLag().toMillis());
        if (acknowledging == null || acknowledging != eligible) {
            db.acknowledge(eligible);
            if (acknowledging != null || !eligible) {
                LOG.info("{}: {} semi-sync writes ({})", self, eligible ? "acknowledges" : "no longer acknowledges",
                        config.member().noFailover() ? "tagged nofailover" : "replication lag " + local.lagMillis() + " ms");
            }
            acknowledging = eligible;
        }
    }

    private Outcome diverge(String leader, List<ErrantTransactions.ErrantRange> errant, String how) {
        long count = errant.stream().mapToLong(ErrantTransactions.ErrantRange::maxCount).sum();
        LOG.error("{}: holds {} transaction(s) that primary {} never had ({}): {}", self, count, leader, how, errant);
        role = Role.NONE;
        if (config.failover().onErrant() == AgentConfig.OnErrant.HOLD) {
            diverged = leader;
            return new Outcome.Diverged(leader, count, "held for an operator (failover.onErrant: hold)");
        }
        rebuild.accept(leader, RebuildReason.ERRANT_TRANSACTIONS);
        return new Outcome.Diverged(leader, count, "rebuilding (newest snapshot, else a live clone); the old data directory is kept aside");
    }

    /**
     * The receiver stopped with error 1236 because the primary purged the binlogs from this member's position on:
     * replication can never resume (MariaDB: "... required binlog files have been purged").
     */
    static boolean positionPurged(ReplicationStatus replication) {
        return replication.lastIoErrno() == 1236 && replication.lastIoError().contains("purged");
    }

    /** Whether a switchover request is still current, by this member's own clock since it first saw it. */
    private boolean fresh(SwitchoverRequest request) {
        String key = request.from() + "->" + request.to() + "@" + request.requestedAtMillis();
        if (!key.equals(switchoverSeen)) {
            switchoverSeen = key;
            switchoverSeenAtNanos = clock.nanoTime();
        }
        return clock.nanoTime() - switchoverSeenAtNanos < SWITCHOVER_TIMEOUT.toNanos();
    }

    private Outcome elect(DatabaseReading local, ClusterView view, long epoch) {
        if (!diverged.isEmpty()) {
            // Its stray transactions would become the cluster's history (ErrantReplicaTest caught exactly that).
            return new Outcome.NotEligible("holds transactions primary " + diverged + " never had; held for an operator");
        }
        Optional<String> promised = failsafe.promised(clock.nanoTime());
        if (promised.isPresent()) {
            return new Outcome.Deferring(promised.get(), "this member confirmed its failsafe request and does not take the"
                    + " lock within failsafe window " + failsafe.window().toMillis() + " ms of it");
        }
        if (view.paused()) {
            return new Outcome.PausedWithoutLeader();
        }
        Optional<SwitchoverRequest> sw = view.switchover();
        boolean planned = false;
        // A planned hand-over binds only once the old primary handed its final position over (or an operator named a
        // target with no primary alive): a request whose primary died first is an ordinary failover, in which the most
        // advanced member must win (fault suite, seed 4: the target lagged a peer by 126 transactions).
        if (sw.isPresent() && !sw.get().to().isEmpty() && fresh(sw.get())
                && (sw.get().handedOver() || sw.get().from().isEmpty())) {
            if (!sw.get().to().equals(self)) {
                return new Outcome.Deferring(sw.get().to(), "planned switchover target");
            }
            planned = true;
        } else {
            List<String> missing = missingAfterOutage(view);
            if (!missing.isEmpty()) {
                return new Outcome.AwaitingMembers(missing);
            }
            MemberRecord me = view.member(self).orElse(null);
            if (me == null) {
                return new Outcome.NotEligible("own record not published yet");
            }
            Optional<FailsafeRoster> roster = view.failsafeRoster();
            if (failsafeOn && roster.isPresent() && !roster.get().includes(self)) {
                // It made no failsafe promise: the last primary may still be writing on the word of the members it knew.
                return new Outcome.NotEligible("not in the failsafe roster " + roster.get().members() + " published by "
                        + roster.get().publisher() + "; eligible once a primary publishes a roster naming it (an operator"
                        + " failover to it bypasses this)");
            }
            switch (election.decide(me, view, clock.currentTimeMillis())) {
                case Election.Verdict.Ineligible(String reason) -> {
                    return new Outcome.NotEligible(reason);
                }
                case Election.Verdict.Defer(String candidate, String reason) -> {
                    return new Outcome.Deferring(candidate, reason);
                }
                case Election.Verdict.Hold(String reason) -> {
                    return new Outcome.ElectionHeld(reason);
                }
                case Election.Verdict.Take() -> { }
            }
            Optional<MemberRecord> receiving = stillReceiving(view);
            Duration settle = config.failover().loopInterval().multipliedBy(2);
            if (receiving.isPresent() && clock.nanoTime() - lockFreeSinceNanos < settle.toNanos()) {
                return new Outcome.Deferring(receiving.get().name(), "its receiver was still connected to "
                        + receiving.get().replicatingFrom() + " when it last published; waiting for its final position");
            }
        }
        return promote(local, view, planned ? sw.get() : null, epoch);
    }

    private Outcome promote(DatabaseReading local, ClusterView view, SwitchoverRequest planned, long epoch) {
        boolean detached = false;
        long start = clock.nanoTime();
        long appliedAt = start;
        if (planned != null && !planned.finalPosition().isEmpty()) {
            GtidPosition target = GtidPosition.parse(planned.finalPosition());
            boolean reached = db.awaitPosition(target, Duration.ofSeconds(5));
            appliedAt = clock.nanoTime();
            if (!reached) {
                return new Outcome.NotEligible("switchover target has not reached the old primary's final position " + target + " yet");
            }
            // The old primary is read-only at its final position and this member applied it: nothing more can arrive.
            // Replication stops now, while the old primary releases the lock, rather than after this member took it
            // (the hand-over's critical path: bench/failover, graceful stop). Writes stay closed; should the lock not
            // come, the next cycle finds replication unconfigured and points it at whoever leads.
            try {
                Optional<String> notDrained = detachReplication(local);
                if (notDrained.isPresent()) {
                    return new Outcome.NotEligible(notDrained.get());
                }
            } catch (RuntimeException e) {
                return new Outcome.NotEligible("could not stop replicating before taking over: " + e.getMessage());
            }
            detached = true;
        }
        long detachedAt = clock.nanoTime();
        // Everything the event needs is built before the lock is taken: between taking it and opening writes nothing
        // may fail except what releases it and fences (design rule 2).
        String reason = planned != null ? "planned switchover from " + planned.from() : "lock was free";
        String previous = view.lastPromotion().map(Promotion::member).orElse("");
        Map<String, Object> lockTaken = Map.of("reason", reason,
                // the primary this member followed until now; a new cluster's first failover has no last promotion
                "previous", planned != null ? planned.from() : following.isEmpty() ? previous : following,
                "lockFreeMillis", lockFreeSinceNanos == 0 ? 0 : (clock.nanoTime() - lockFreeSinceNanos) / 1_000_000);
        boolean releasePending = planned != null && view.leader().filter(planned.from()::equals).isPresent();
        if (releasePending ? !lock.acquire(HANDED_OVER_RELEASE_WAIT) : !lock.tryAcquire()) {
            return releasePending
                    ? new Outcome.Following(planned.from() + " (handed over to this member, lock not released within "
                            + HANDED_OVER_RELEASE_WAIT.toMillis() + " ms)")
                    : new Outcome.LostRace(lock.holder().orElse("?"));
        }
        long lockedAt = clock.nanoTime();
        history.record(EventKind.LOCK_TAKEN, self + " took the leader lock (" + reason + ")", lockTaken);
        Optional<String> failed = openWrites(local, epoch, detached);
        if (failed.isPresent()) {
            return new Outcome.PromotionAbandoned(failed.get());
        }
        if (detached) { // after the writes opened: the hand-over's critical path is not made to wait for a log line
            LOG.info("{}: take-over steps: final position applied in {} ms, replication stopped in {} ms, lock taken in {} ms",
                    self, (appliedAt - start) / 1_000_000, (detachedAt - appliedAt) / 1_000_000, (lockedAt - detachedAt) / 1_000_000);
        }
        // Bookkeeping waits for the next cycle, which the loop runs at once: clients first learn of the new primary.
        afterPromotion = new Promotion(self, previous, reason, clock.currentTimeMillis());
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
                .filter(m -> !m.name().equals(self) && m.role() == Role.REPLICA && m.promotable())
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
     * reported yet, during the startup grace only. A record that still says PRIMARY while the lock is free has not
     * reported either: it is the last primary's, living out its lease after it died (its lock may expire first), and
     * says nothing of what that member will hold when it comes back; a restarted agent publishes itself without a role.
     */
    private List<String> missingAfterOutage(ClusterView view) {
        if (sawLeader || clock.nanoTime() - startedNanos > config.failover().startupGrace().toNanos()) {
            return List.of();
        }
        return store.roster().stream()
                .filter(name -> view.member(name).filter(r -> r.role() != Role.PRIMARY).isEmpty())
                .toList();
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
                clock.currentTimeMillis(), "", role == Role.PRIMARY && local.asyncFallback(), db.serverId());
    }
}
