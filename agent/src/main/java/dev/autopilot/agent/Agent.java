package dev.autopilot.agent;

import dev.autopilot.agent.api.RestApi;
import dev.autopilot.agent.backup.BackupJobs;
import dev.autopilot.agent.cluster.ClusterStore;
import dev.autopilot.agent.cluster.ClusterView;
import dev.autopilot.agent.cluster.Role;
import dev.autopilot.agent.cluster.SwitchoverRequest;
import dev.autopilot.agent.config.AgentConfig;
import dev.autopilot.agent.config.ClusterSecrets;
import dev.autopilot.agent.db.BinlogRetention;
import dev.autopilot.agent.db.LocalDatabase;
import dev.autopilot.agent.ha.DeadlineAlarm;
import dev.autopilot.agent.ha.HaClock;
import dev.autopilot.agent.ha.HaCycle;
import dev.autopilot.agent.ha.HaLoop;
import dev.autopilot.agent.ha.LeaseLossFence;
import dev.autopilot.agent.ha.LocalDatabaseControl;
import dev.autopilot.agent.ha.Outcome;
import dev.autopilot.agent.ha.RestFailsafePeers;
import dev.autopilot.agent.history.EventKind;
import dev.autopilot.agent.history.HistoryLog;
import dev.autopilot.agent.history.HistoryWriter;
import dev.autopilot.agent.history.OutcomeHistory;
import dev.autopilot.agent.lifecycle.AgentLifecycle;
import dev.autopilot.agent.lifecycle.AgentState;
import dev.autopilot.agent.lifecycle.Backoff;
import dev.autopilot.agent.lifecycle.CopyInProgress;
import dev.autopilot.agent.lifecycle.CopyToApply;
import dev.autopilot.agent.lifecycle.HeapTrim;
import dev.autopilot.agent.lifecycle.MemberData;
import dev.autopilot.agent.lifecycle.OrphanServer;
import dev.autopilot.agent.lifecycle.Rebuild;
import dev.autopilot.agent.lifecycle.SupervisedServer;
import dev.autopilot.agent.metrics.ClusterMetrics;
import dev.autopilot.agent.routing.HaproxyRuntimeApi;
import dev.autopilot.agent.routing.PrimaryRouting;
import dev.autopilot.backup.clone.CloneDonor;
import dev.autopilot.backup.clone.CloneToken;
import dev.autopilot.backup.clone.DonorSettings;
import dev.autopilot.backup.restore.ExistingData;
import dev.autopilot.coordination.Coordinator;
import dev.autopilot.coordination.Coordinators;
import dev.autopilot.coordination.LeaderLock;
import dev.autopilot.coordination.WatchEvent;
import dev.autopilot.mysql.auth.Secret;
import dev.autopilot.supervisor.event.EventBus;
import dev.autopilot.supervisor.process.ChildProcesses;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member's agent, start to stop: takes over a server its predecessor left running, opens the store, gives the
 * member its data ({@link MemberData}), runs {@code mariadbd} under the supervisor ({@link SupervisedServer}), serves
 * live clones to joiners and runs the HA loop; operators reach it through the REST API ({@link OperatorActions}).
 * Its {@link AgentState} says where it is. {@link #stop()} is the graceful path: a primary hands over before its
 * database stops.
 */
public final class Agent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Agent.class);
    /** The longest an HA loop may go without completing a cycle before this member gives up the lock. */
    private static final Duration LOOP_STALL_BOUND = Duration.ofSeconds(10);
    /** History events held in memory while the store does not answer. */
    private static final int HISTORY_BUFFER = 500;
    private static final Backoff REBUILD_BACKOFF = new Backoff(Duration.ofSeconds(5), Duration.ofMinutes(5));

    private final AgentConfig config;
    private final ClusterSecrets secrets;
    private final String name;
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final EventBus bus = new EventBus();
    private final ChildProcesses children = new ChildProcesses();
    private final List<Consumer<Outcome>> observers = new CopyOnWriteArrayList<>();
    private final ClusterMetrics clusterMetrics;
    private final CopyInProgress copyInProgress;
    private final AgentLifecycle lifecycle;
    private final Rebuild rebuild;
    private final OperatorActions operator;
    // Set once by start(), read by stop(), the lease-loss callback and the rebuild thread.
    private volatile LocalDatabase db;
    private volatile SupervisedServer server;
    private volatile MemberData data;
    private volatile Coordinator store;
    private volatile ClusterStore cluster;
    private volatile LeaderLock lock;
    private volatile CloneDonor donor;
    private volatile HaLoop loop;
    private volatile RestApi api;
    private volatile BackupJobs backups;
    private volatile BinlogRetention binlogRetention;
    private volatile PrimaryRouting routing;
    private volatile HistoryWriter history;

    public Agent(AgentConfig config, ClusterSecrets secrets) {
        this.config = config;
        this.secrets = secrets;
        this.name = config.member().name();
        this.clusterMetrics = new ClusterMetrics(metrics, config.cluster(), name, config.mysql().zeroLoss()); // first: it labels every meter
        this.copyInProgress = CopyInProgress.in(config.member().dataDir());
        this.lifecycle = new AgentLifecycle(name, metrics);
        this.rebuild = new Rebuild(name, lifecycle, REBUILD_BACKOFF);
        this.operator = new OperatorActions(name, metrics);
        observers.add(outcome -> {
            HaLoop l = loop;
            clusterMetrics.cycled(new ClusterMetrics.Cycle(outcome, l.lastCycleDuration(), l.cycle().role(), l.cycle().diverged(),
                    l.cycle().acknowledgesSemiSync(), l.lastReading(), Optional.ofNullable(l.lastView())));
        });
        lifecycle.onChange(state -> {
            HaLoop l = loop;
            if (l != null) {
                l.state(state.memberState());
            }
        });
    }

    public AgentConfig config() {
        return config;
    }

    public PrometheusMeterRegistry metrics() {
        return metrics;
    }

    /** Where the agent is in its life (also the gauge {@code autopilot_agent_state}). */
    public AgentState state() {
        return lifecycle.state();
    }

    public Optional<HaLoop> loop() {
        return Optional.ofNullable(loop);
    }

    public ChildProcesses children() {
        return children;
    }

    /** Observes every cycle's outcome (tests, metrics). */
    public void onOutcome(Consumer<Outcome> observer) {
        observers.add(observer);
    }

    /** Brings the member up: its data directory's server, store, data, database, donor, HA loop. Throws with a clear message when it cannot. */
    public void start() throws IOException, InterruptedException {
        db = new LocalDatabase(config, secrets);
        // Before anything else: a server left running by a killed agent may be writable, and it holds our port.
        new OrphanServer(name, db.dataDir(), db.server().settings().pidFile(), db.server().settings().socket()).takeOver(secrets.root());
        api = new RestApi(operator, config.api(), secrets.operatorToken()).start(); // early, so /health answers while provisioning
        store = clusterMetrics.coordinationStore(Coordinators.open(secrets.coordination(config.coordination())));
        cluster = new ClusterStore(store);
        history = new HistoryWriter(name, new HistoryLog(store), Clock.systemUTC(), HISTORY_BUFFER).start();
        // The HA loop vouches for itself after every completed cycle: a loop that fails every cycle loses the lock
        // within this bound instead of keeping it alive by the renewal thread alone (issue 11, defect 9).
        Duration confirmWithin = config.lock().ttl().minus(config.lock().safetyMargin());
        if (confirmWithin.compareTo(LOOP_STALL_BOUND) < 0) {
            confirmWithin = LOOP_STALL_BOUND;
        }
        lock = store.leaderLock(ClusterStore.LEADER_LOCK, name, config.lock().ttl(), config.lock().safetyMargin(), confirmWithin,
                new LeaseLossFence(name, this::onLeaseLost));
        operator.attach(cluster, lock, history);
        LeaderLock held = lock;
        clusterMetrics.leadership(held::isHeld, held::remainingLease,
                () -> Optional.ofNullable(loop).map(l -> l.cycle().leadsUnderFailsafe()).orElse(false));
        server = new SupervisedServer(config, db, bus, metrics, children, copyInProgress);
        data = new MemberData(config, secrets, db, cluster, copyInProgress, clusterMetrics.provisioning(), history);

        MemberData.Start start = data.prepare();
        server.start(start.copy());
        if (start.bootstrapping()) {
            data.finishBootstrap(start, lock);
        }
        db.prepareFencing();
        cluster.joinRoster(name);
        startDonor();
        loop = newHaLoop();
        HaLoop started = loop;
        observers.add(new OutcomeHistory(name, history, () -> Optional.ofNullable(started.lastView())));
        operator.attach(loop);
        bus.subscribe("ha-loop", event -> {
            if (event.source().equals(LocalDatabase.JOB)
                    && (event.kind() == dev.autopilot.supervisor.event.EventKind.EXIT_FAILED
                    || event.kind() == dev.autopilot.supervisor.event.EventKind.EXIT_SUCCESS)) {
                loop.databaseExited("its process ended: " + event.kind().configName());
            } else {
                loop.wake();
            }
        });
        store.watchPrefix(ClusterStore.LOCKS, event -> loop.election().lockChanged(event));
        // While the lock is free, a peer's new record is what a waiting candidate needs: decide on it now, not at a tick.
        store.watchPrefix(ClusterStore.MEMBERS, event -> loop.election().memberChanged(event));
        store.watchPrefix(ClusterStore.SWITCHOVER, event -> {
            if (handedOverToThisMember(event)) {
                lock.prepareAcquire(); // the lease's grant overlaps the cycle this wakes (see EtcdLeaderLock.prepareAcquire)
            }
            loop.wake();
        });
        store.watchPrefix(ClusterStore.PAUSE, event -> loop.wake());
        if (!lifecycle.move(AgentState.STARTING, AgentState.RUNNING)) {
            return; // stopped while starting
        }
        loop.start(); // after RUNNING: its first cycle may already ask for a rebuild
        startBackgroundJobs();
    }

    /**
     * The HA decision cycle and the loop that runs it, built in this one place (their constructors follow the HA code).
     */
    private HaLoop newHaLoop() {
        HaCycle cycle = new HaCycle(config, secrets.replication(), new LocalDatabaseControl(db, config), lock, cluster,
                HaClock.system(), this::rebuildFrom, new RestFailsafePeers(secrets.operatorToken()),
                DeadlineAlarm.ownThread("failsafe-deadline-" + name, HaClock.system()));
        // The dead-man switch inside mariadbd is re-armed every 100 ms to how long this member may still write.
        db.deadManSwitch().keepArmedWhile(cycle::writeAuthorityRemaining);
        cycle.recordTo(history);
        config.haproxy().ifPresent(h -> {
            PrimaryRouting r = new PrimaryRouting(name, h.runtimeApis().stream().map(HaproxyRuntimeApi::of).toList(), h.backend(), h.server());
            routing = r;
            cycle.routeTo(r::writesOpen); // the moment writes open or close, not after the cycle's publishing
        });
        return new HaLoop(name, cycle, db::read, cluster, lock, config.lock().ttl(), config.failover().loopInterval(),
                outcome -> observers.forEach(o -> o.accept(outcome)));
    }

    private void onLeaseLost(String why) {
        history.record(EventKind.LOCK_LOST, name + " lost the leader lock: " + why, Map.of("reason", why));
        HaLoop l = loop;
        if (l == null) {
            // Only the bootstrap takes the lock before the loop exists, and its server has not opened writes yet.
            LOG.warn("{}: leader lease lost during start-up ({}); the server is still read-only", name, why);
            return;
        }
        l.cycle().onLeaseLost(why);
        l.wake();
    }

    private void startBackgroundJobs() throws IOException {
        HaLoop l = loop;
        if (config.backup().isPresent()) {
            BackupJobs jobs = new BackupJobs(config, secrets, db, store, () -> l.cycle().role(), () -> Optional.ofNullable(l.lastView()),
                    clusterMetrics);
            backups = jobs;
            jobs.recordTo(history);
            api.withBackups(jobs);
            l.lastSnapshotFrom(() -> jobs.lastSnapshot().map(snap -> snap.created().toString()).orElse(""));
            jobs.start();
        }
        if (!config.mysql().binlogRetention().isZero()) {
            BackupJobs jobs = backups;
            binlogRetention = new BinlogRetention(config.mysql().binlogRetention(), db.dataDir(),
                    () -> l.cycle().role() == Role.PRIMARY, Optional.ofNullable(jobs).map(j -> j::archivedBinlogs), Clock.systemUTC());
            binlogRetention.start(name, db::admin, rebuild::isRunning);
        }
    }

    private void startDonor() throws IOException {
        Path work = config.member().dataDir().resolve("clone-work");
        Files.createDirectories(work);
        donor = new CloneDonor(DonorSettings.of(new InetSocketAddress(config.member().address(), config.clonePort()),
                CloneToken.of(secrets.cloneToken()),
                config.member().address(), config.mysql().port(), secrets.backup(), db.dataDir(), work)
                .withTls(config.mysql().tls().map(AgentConfig.Tls::caFile))
                .withStreamTls(config.mysql().tls().map(t -> t.context("mysql.tls"))));
        donor.afterEachClone(() -> HeapTrim.afterPeak("serving a clone"));
        donor.start();
    }

    /**
     * Provisions the member again (newest snapshot, else a live clone; after purged or unreadable binlogs a live clone), under a new
     * server_id, off the HA loop; once at a time, retried with backoff until it succeeds (see {@link Rebuild}).
     */
    private void rebuildFrom(String primary, HaCycle.RebuildReason reason) {
        boolean diverged = reason == HaCycle.RebuildReason.ERRANT_TRANSACTIONS;
        AtomicBoolean ownDataCleared = new AtomicBoolean();
        String why = switch (reason) {
            case ERRANT_TRANSACTIONS -> "holds transactions primary " + primary + " never had";
            case BINLOGS_PURGED -> "primary " + primary + " purged the binlogs it needs";
            case BINLOG_UNREADABLE -> "primary " + primary + " cannot send its binlog from this member's position";
        };
        boolean started = rebuild.start(why,
                () -> {
                    server.stop();
                    if (!ownDataCleared.get()) {
                        data.clearForRebuild(primary, diverged);
                        ownDataCleared.set(true);
                    } else {
                        data.clearFailedCopy(); // what the failed attempt left; the member's own data went in the first
                    }
                    CopyToApply copy = data.provision(ExistingData.REFUSE, diverged);
                    server.start(copy);
                },
                () -> {
                    history.record(EventKind.REBUILD_FINISHED, name + " was rebuilt and runs again", Map.of("primary", primary));
                    loop.wake();
                });
        if (started) {
            history.record(EventKind.REBUILD_STARTED, name + " is being rebuilt: " + why, Map.of("primary", primary,
                    "reason", reason.name().toLowerCase(java.util.Locale.ROOT)));
        }
    }

    /** A hand-over naming this member: the old primary is fenced and releases the lock within milliseconds. */
    private boolean handedOverToThisMember(WatchEvent event) {
        if (event.type() != WatchEvent.Type.PUT) {
            return false;
        }
        try {
            SwitchoverRequest request = ClusterStore.decode(event.value(), SwitchoverRequest.class);
            return request.handedOver() && request.to().equals(name);
        } catch (RuntimeException unreadable) {
            return false; // the cycle reads it again and reports what it cannot decode
        }
    }

    /**
     * As the HA loop's last cycle saw the cluster (at most a loop interval old): a store read here cost the hand-over of a
     * graceful stop a round trip before it began. Should that replica have failed since, the step-down refuses and the
     * stop releases the lock after its wait, as it does when no replica is seen.
     */
    private boolean hasHealthyReplica(HaLoop l) {
        try {
            ClusterView view = l.lastView() != null ? l.lastView() : cluster.read();
            return view.members().values().stream()
                    .anyMatch(m -> !m.name().equals(name) && m.role() == Role.REPLICA && m.healthy());
        } catch (RuntimeException e) {
            return false; // store unreachable: nobody could take over through it anyway
        }
    }

    /** Graceful stop: a primary hands over first, then services are left, the database stopped, the store closed. */
    public void stop() throws InterruptedException {
        if (lifecycle.moveFromAny(AgentState.STOPPING) == AgentState.CLOSED) {
            return;
        }
        rebuild.close();
        HaLoop l = loop;
        if (l != null) {
            if (l.cycle().role() == Role.PRIMARY && lock.isHeld() && hasHealthyReplica(l)) {
                l.stepDownForStop();
                Instant until = Instant.now().plusSeconds(5);
                while (lock.isHeld() && Instant.now().isBefore(until)) {
                    Thread.sleep(20); // the hand-over runs on the HA loop; the lock moving away is its end
                }
                if (lock.isHeld()) {
                    LOG.warn("{}: hand-over did not complete within 5 s; releasing the lock", name);
                }
            }
            l.withdraw();
            l.close();
        }
        if (lock != null && lock.isHeld()) {
            if (routing != null) {
                routing.writesOpen(false);
            }
            db.fence("graceful stop");
            lock.release();
        }
        if (routing != null) {
            routing.close();
        }
        if (binlogRetention != null) {
            binlogRetention.close();
        }
        if (backups != null) {
            backups.close();
        }
        if (donor != null) {
            try {
                donor.close();
            } catch (IOException e) {
                LOG.debug("closing clone donor: {}", e.toString());
            }
        }
        if (server != null) {
            server.stop();
        }
        if (db != null) {
            db.close();
        }
        if (history != null) {
            history.close(); // what is buffered goes to the store first, briefly
        }
        if (store != null) {
            store.close();
        }
        if (api != null) {
            api.close();
        }
        bus.close();
        lifecycle.moveFromAny(AgentState.CLOSED);
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
