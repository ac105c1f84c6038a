package dev.autopilot.agent.ha;

import dev.autopilot.agent.cluster.ClusterStore;
import dev.autopilot.agent.cluster.ClusterView;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.agent.cluster.MemberState;
import dev.autopilot.agent.db.DatabaseReading;
import dev.autopilot.coordination.CoordinationException;
import dev.autopilot.coordination.LeaderLock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link HaCycle} every {@code failover.loopInterval}, and at once when woken (a store change, a
 * database exit or health change). Logs an outcome when it differs from the previous cycle's, so the log
 * reads as a list of decisions, not a heartbeat. Never dies from an exception.
 */
public final class HaLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HaLoop.class);

    private final String member;
    private final HaCycle cycle;
    /** Reads the local database (the agent's LocalDatabase; the scale bench's simulated one). */
    private final Supplier<DatabaseReading> db;
    private final ClusterStore store;
    private final LeaderLock lock;
    private final MemberPresence presence;
    private final Duration interval;
    private final Consumer<Outcome> observer;
    private final Semaphore wake = new Semaphore(0);
    private final ElectionWake election;
    private final ExecutorService background = Executors.newVirtualThreadPerTaskExecutor();
    private volatile boolean running = true;
    private volatile MemberState state = MemberState.STARTING;
    private volatile Outcome last;
    private volatile ClusterView lastView;
    private volatile MemberRecord lastRecord;
    private volatile DatabaseReading lastReading;
    private volatile Duration lastCycleDuration = Duration.ZERO;
    private Thread thread;
    private volatile Supplier<String> lastSnapshot = () -> "";

    public HaLoop(String member, HaCycle cycle, Supplier<DatabaseReading> db, ClusterStore store, LeaderLock lock, Duration presenceTtl,
                  Duration interval, Consumer<Outcome> observer) {
        this.member = member;
        this.cycle = cycle;
        this.db = db;
        this.store = store;
        this.lock = lock;
        this.presence = new MemberPresence(store.coordinator(), store.coordinator().settings().cluster(), presenceTtl);
        this.interval = interval;
        this.observer = observer;
        this.election = new ElectionWake(member, this::wake);
    }

    public synchronized void start() {
        thread = Thread.ofPlatform().name("ha-loop-" + member).daemon().start(this::loop);
        // Failsafe rounds run on their own thread: a cycle waits out the store's request timeout when it is
        // unreachable, longer than the confirmations may go without renewal.
        Thread.ofPlatform().name("failsafe-rounds-" + member).daemon().start(this::failsafeRounds);
    }

    private void failsafeRounds() {
        while (running) {
            try {
                cycle.failsafeRound();
            } catch (RuntimeException e) {
                LOG.error("{}: failsafe round failed: {}; retrying", member, e.toString(), e);
            }
            try {
                Thread.sleep(interval);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** What the store's watches of the lock and the member records report to: they wake this loop when an election needs it. */
    public ElectionWake election() {
        return election;
    }

    /** Runs a cycle now instead of at the next tick. */
    public void wake() {
        wake.release();
    }

    public Outcome lastOutcome() {
        return last;
    }

    public ClusterView lastView() {
        return lastView;
    }

    public MemberRecord lastRecord() {
        return lastRecord;
    }

    /** The newest reading of the local database, taken by the last cycle (metrics read it instead of asking the server). */
    public DatabaseReading lastReading() {
        return lastReading;
    }

    /** How long the last cycle took, from reading the database to publishing the record. */
    public Duration lastCycleDuration() {
        return lastCycleDuration;
    }

    public HaCycle cycle() {
        return cycle;
    }

    /** Where the newest snapshot's time comes from, once backups run. */
    public void lastSnapshotFrom(Supplier<String> source) {
        lastSnapshot = source;
    }

    /** Marks the member's lifecycle state shown to others (e.g. STOPPING). */
    public void state(MemberState s) {
        state = s;
    }

    private void loop() {
        while (running) {
            try {
                runOnce();
            } catch (RuntimeException | LinkageError e) {
                LOG.error("{}: HA cycle failed: {}; retrying next cycle", member, e.toString(), e);
            }
            try {
                wake.tryAcquire(interval.toMillis(), TimeUnit.MILLISECONDS);
                wake.drainPermits();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * The database's process exited: a primary releases the lock at once (see {@link HaCycle#onDatabaseExit}), then a
     * cycle runs as usual and publishes. Serialised with cycles, so it never lands in the middle of one.
     */
    public void databaseExited(String exit) {
        synchronized (this) {
            cycle.onDatabaseExit(exit).ifPresent(outcome -> {
                LOG.warn("{}: {}", member, outcome.describe());
                last = outcome;
                observer.accept(outcome);
            });
        }
        wake();
    }

    /**
     * Graceful stop of the primary: steps down at once on the last cycle's view (see {@link HaCycle#stepDownNow}),
     * serialised with cycles (one under way finishes first); when it does not lead now, the next cycle decides as
     * before. The next cycle publishes the record either way.
     */
    public void stepDownForStop() {
        synchronized (this) {
            ClusterView view = lastView;
            Optional<Outcome> now = view == null ? Optional.empty() : cycle.stepDownNow(view);
            if (now.isPresent()) {
                report(now.get());
            } else {
                cycle.stepDownForStop();
            }
        }
        wake();
    }

    /** One cycle: read, decide, publish. */
    synchronized void runOnce() {
        long started = System.nanoTime();
        MemberState stateAtRead = state; // before the reading: a rebuild that ends during this cycle leaves it stale
        DatabaseReading local = db.get();
        Outcome outcome;
        try {
            MemberRecord before = cycle.record(local, effectiveState(local, null)).withLastSnapshot(lastSnapshot.get());
            // Publishing the record and reading the view are independent round trips, and every hand-over waits on
            // both: overlap them, and decide on the view with this member's fresh record in it.
            Future<?> publishing = background.submit(() -> presence.publish(before, false));
            long lockEvents = election.lockEvents();
            ClusterView view = store.read().withMember(before);
            election.cycleRead(lockEvents, view.leader());
            awaitPublished(publishing);
            lastView = view;
            // While the data directory is being rebuilt the database comes and goes under the rebuild's control:
            // deciding now (re-pointing, positions) would race it. That includes a reading taken during the rebuild
            // that ended meanwhile: it may show the new copy before its gtid_slave_pos was set (FailoverTest saw a
            // re-point from such a reading overwrite the copy's position with an older one).
            boolean provisioning = stateAtRead == MemberState.PROVISIONING || state == MemberState.PROVISIONING;
            outcome = provisioning ? new Outcome.Provisioning() : cycle.run(local, view);
            if (!(outcome instanceof Outcome.Leading) && !(outcome instanceof Outcome.Following)) {
                local = db.get();
            }
            MemberRecord after = cycle.record(local, effectiveState(local, outcome)).withLastSnapshot(lastSnapshot.get());
            presence.publish(after, true);
            lastRecord = after;
            lock.confirmAlive(); // a cycle that read, decided and published: the lock may be renewed on (issue 11, defect 9)
        } catch (CoordinationException e) {
            outcome = cycle.withoutStore(local, e.getMessage());
        }
        lastReading = local;
        lastCycleDuration = Duration.ofNanos(System.nanoTime() - started);
        report(outcome);
        if (outcome instanceof Outcome.PromotedSelf) {
            wake(); // finish the promotion's bookkeeping now, not a loop interval later
        }
    }

    /**
     * The outcome of a cycle or a step-down: logged when it differs from the last one (a warning or an error where an
     * operator should look), kept as the last, and handed to the observer.
     */
    private void report(Outcome outcome) {
        if (last == null || !last.equals(outcome)) {
            log(outcome);
        }
        last = outcome;
        observer.accept(outcome);
    }

    private void log(Outcome outcome) {
        if (outcome instanceof Outcome.FenceFailed) {
            LOG.error("{}: {}", member, outcome.describe());
        } else if (outcome instanceof Outcome.Fenced || outcome instanceof Outcome.Diverged || outcome instanceof Outcome.FellBehind
                || outcome instanceof Outcome.StoreUnreachable || outcome instanceof Outcome.PromotionAbandoned
                || outcome instanceof Outcome.FailsafeLeading
                || outcome instanceof Outcome.SwitchoverRefused || outcome instanceof Outcome.ElectionHeld
                || outcome instanceof Outcome.ReleasedLock || outcome instanceof Outcome.DatabaseDown) {
            LOG.warn("{}: {}", member, outcome.describe());
        } else {
            LOG.info("{}: {}", member, outcome.describe());
        }
    }

    private static void awaitPublished(Future<?> publishing) {
        try {
            publishing.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CoordinationException("interrupted while publishing the member record", e);
        }
    }

    private MemberState effectiveState(DatabaseReading local, Outcome outcome) {
        if (state == MemberState.STOPPING || state == MemberState.PROVISIONING) {
            return state;
        }
        if (outcome instanceof Outcome.Diverged || cycle.diverged()) {
            return MemberState.DIVERGED;
        }
        if (outcome instanceof Outcome.Fenced || outcome instanceof Outcome.FenceFailed) {
            return MemberState.FENCED;
        }
        return local.reachable() ? MemberState.RUNNING : MemberState.UNHEALTHY;
    }

    /** Leaves the services (graceful stop), keeping the presence until {@link #close()}. */
    public synchronized void withdraw() {
        try {
            presence.withdraw();
        } catch (CoordinationException e) {
            LOG.warn("{}: could not leave services ({}); they expire with their TTL", member, e.getMessage());
        }
    }

    @Override
    public void close() {
        running = false;
        wake.release();
        if (thread != null) {
            try {
                thread.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        background.close();
        try {
            presence.close();
        } catch (CoordinationException e) {
            LOG.warn("{}: could not deregister ({}); the registration expires with its TTL", member, e.getMessage());
        }
    }
}
