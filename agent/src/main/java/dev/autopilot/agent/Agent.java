package dev.autopilot.agent;

import dev.autopilot.agent.api.AgentControl;
import dev.autopilot.agent.api.RestApi;
import dev.autopilot.agent.backup.BackupJobs;
import dev.autopilot.backup.snapshot.ProvisionFromSnapshots;
import dev.autopilot.storage.SnapshotStore;
import dev.autopilot.storage.SnapshotStores;
import dev.autopilot.agent.cluster.ClusterStore;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.agent.cluster.ClusterView;
import dev.autopilot.agent.cluster.MemberState;
import dev.autopilot.agent.cluster.Role;
import dev.autopilot.agent.cluster.SwitchoverRequest;
import dev.autopilot.agent.config.AgentConfig;
import dev.autopilot.agent.config.ClusterSecrets;
import dev.autopilot.agent.db.BinlogRetention;
import dev.autopilot.agent.db.LocalDatabase;
import dev.autopilot.agent.ha.DeadlineAlarm;
import dev.autopilot.agent.ha.HaClock;
import dev.autopilot.agent.ha.HaCycle;
import dev.autopilot.agent.ha.LocalDatabaseControl;
import dev.autopilot.agent.ha.HaLoop;
import dev.autopilot.agent.ha.Outcome;
import dev.autopilot.agent.ha.RestFailsafePeers;
import dev.autopilot.agent.lifecycle.BackupBootstrap;
import dev.autopilot.agent.lifecycle.CopyInProgress;
import dev.autopilot.agent.lifecycle.Provisioning;
import dev.autopilot.backup.clone.CloneDonor;
import dev.autopilot.backup.clone.CloneToken;
import dev.autopilot.backup.clone.DonorSettings;
import dev.autopilot.backup.restore.ExistingData;
import dev.autopilot.backup.restore.RestoredCopy;
import dev.autopilot.backup.restore.Restorer;
import dev.autopilot.coordination.Coordinator;
import dev.autopilot.coordination.Coordinators;
import dev.autopilot.coordination.LeaderLock;
import dev.autopilot.mysql.admin.ClusterAccounts;
import dev.autopilot.mysql.admin.DatabaseAdmin;
import dev.autopilot.mysql.admin.UserBootstrap;
import dev.autopilot.mysql.auth.Credentials;
import dev.autopilot.mysql.gtid.ErrantTransactions;
import dev.autopilot.mysql.gtid.GtidPosition;
import dev.autopilot.mysql.server.DataDirectory;
import dev.autopilot.supervisor.Supervisor;
import dev.autopilot.supervisor.config.SupervisorConfig;
import dev.autopilot.supervisor.event.EventBus;
import dev.autopilot.supervisor.health.HealthCheck;
import dev.autopilot.supervisor.health.HealthResult;
import dev.autopilot.supervisor.process.ChildProcesses;
import dev.autopilot.supervisor.process.JobOutput;
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
 * One member's agent: opens the store, gives the member its data (bootstrap, live clone, or what is already
 * on disk), runs {@code mariadbd} under the supervisor, serves live clones to joiners and runs the HA loop.
 * {@link #stop()} is the graceful path: a primary hands over before its database stops.
 */
public final class Agent implements AgentControl, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Agent.class);
    private static final Duration START_TIMEOUT = Duration.ofMinutes(2);

    private final AgentConfig config;
    private final ClusterSecrets secrets;
    private final String name;
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final EventBus bus = new EventBus();
    private final ChildProcesses children = new ChildProcesses();
    private final List<Consumer<Outcome>> observers = new CopyOnWriteArrayList<>();
    private Coordinator store;
    private ClusterStore cluster;
    private LocalDatabase db;
    private LeaderLock lock;
    private Supervisor supervisor;
    private CloneDonor donor;
    private HaLoop loop;
    private RestApi api;
    private BackupJobs backups;
    private BinlogRetention binlogRetention;
    private final AtomicBoolean rebuilding = new AtomicBoolean();
    private final CopyInProgress copyInProgress;

    public Agent(AgentConfig config, ClusterSecrets secrets) {
        this.config = config;
        this.secrets = secrets;
        this.name = config.member().name();
        this.copyInProgress = CopyInProgress.in(config.member().dataDir());
    }

    public AgentConfig config() {
        return config;
    }

    public PrometheusMeterRegistry metrics() {
        return metrics;
    }

    public ClusterStore clusterStore() {
        return cluster;
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

    /** Brings the member up: store, data, database, donor, HA loop. Throws with a clear message when it cannot. */
    public void start() throws IOException, InterruptedException {
        api = new RestApi(this, config.api(), secrets.operatorToken()).start(); // first, so /health answers while provisioning
        store = Coordinators.open(secrets.coordination(config.coordination()));
        cluster = new ClusterStore(store);
        db = new LocalDatabase(config, secrets);
        HaCycle[] cycleRef = new HaCycle[1];
        lock = store.leaderLock(ClusterStore.LEADER_LOCK, name, config.lock().ttl(), config.lock().safetyMargin(),
                loss -> Thread.ofVirtual().name("fence-" + name).start(() -> {
                    cycleRef[0].onLeaseLost(loss.reason() + " after " + loss.sinceLastRenewal().toMillis() + " ms without renewal");
                    if (loop != null) {
                        loop.wake();
                    }
                }));
        boolean bootstrapping = false;
        boolean unfinished = cluster.initializedBy().filter(name::equals).isPresent() && cluster.roster().isEmpty();
        if (unfinished) {
            setAsideUnfinishedBootstrap();
        }
        if (!db.isProvisioned()) {
            if (unfinished || cluster.claimInitialize(name)) {
                LOG.info("{}: new cluster '{}': this member bootstraps it as the first primary{}", name, config.cluster(),
                        unfinished ? " (resuming a bootstrap that did not finish)" : "");
                if (config.bootstrap().isPresent()) {
                    backupPosition = Optional.of(new BackupBootstrap(name, config.member().dataDir(), db.dataDir(), db.identity())
                            .restore(config.bootstrap().get()));
                } else {
                    db.server().initialise(Duration.ofMinutes(2));
                }
                bootstrapping = true;
            } else {
                provision(ExistingData.REFUSE);
            }
        } else if (copyInProgress.isPresent()) {
            GtidPosition at = copyInProgress.unappliedPosition(db.dataDir());
            ClusterView view = cluster.read();
            GtidPosition known = view.members().values().stream().map(r -> GtidPosition.parse(r.knownGtids()))
                    .reduce(GtidPosition.parse(""), GtidPosition::merge);
            restoredHistory = Optional.of(historyUpTo(known, at));
            pendingSlavePosition = Optional.of(at);
            LOG.warn("{}: data directory {} holds a copy whose replication position was never applied (the agent stopped"
                    + " in between); applying GTID position {} now, as it would have been", name, db.dataDir(), at);
        } else {
            LOG.info("{}: data directory {} holds this member's data; starting it read-only", name, db.dataDir());
        }
        startDatabase();
        if (bootstrapping) {
            backupPosition.ifPresent(this::continueHistory);
            bootstrapUsers();
            if (!lock.tryAcquire()) {
                throw new IllegalStateException("the leader lock of new cluster '" + config.cluster() + "' is held by "
                        + lock.holder().orElse("?") + "; another cluster may use the same name and store");
            }
        }
        db.prepareFencing();
        cluster.joinRoster(name);
        startDonor();
        HaCycle cycle = new HaCycle(config, secrets.replication(), new LocalDatabaseControl(db, config), lock, cluster,
                HaClock.system(), this::rebuildFrom, new RestFailsafePeers(secrets.operatorToken()),
                DeadlineAlarm.ownThread("failsafe-deadline-" + name, HaClock.system()));
        cycleRef[0] = cycle;
        // The dead-man switch inside mariadbd is re-armed every 100 ms to how long this member may still write.
        db.deadManSwitch().keepArmedWhile(cycle::writeAuthorityRemaining);
        loop = new HaLoop(name, cycle, db, cluster, lock, config.lock().ttl(), config.failover().loopInterval(),
                outcome -> observers.forEach(o -> o.accept(outcome)));
        bus.subscribe("ha-loop", event -> loop.wake());
        store.watchPrefix("locks/", event -> loop.wake());
        store.watchPrefix(ClusterStore.SWITCHOVER, event -> loop.wake());
        store.watchPrefix(ClusterStore.PAUSE, event -> loop.wake());
        loop.start();
        if (config.backup().isPresent()) {
            backups = new BackupJobs(config, secrets, db, store, () -> loop.cycle().role(), () -> Optional.ofNullable(loop.lastView()),
                    metrics);
            api.withBackups(backups);
            BackupJobs jobs = backups;
            loop.lastSnapshotFrom(() -> jobs.lastSnapshot().map(snap -> snap.created().toString()).orElse(""));
            backups.start();
        }
        if (!config.mysql().binlogRetention().isZero()) {
            BackupJobs jobs = backups;
            binlogRetention = new BinlogRetention(config.mysql().binlogRetention(), db.dataDir(),
                    () -> loop.cycle().role() == Role.PRIMARY, Optional.ofNullable(jobs).map(j -> j::archivedBinlogs), Clock.systemUTC());
            binlogRetention.start(name, db::admin, rebuilding::get);
        }
    }

    /**
     * Puts a copy of the cluster's data into the data directory: the newest snapshot when backups are configured, else
     * (or when it cannot be used) a live clone from a peer. The copy runs under a new {@code server_id}
     * ({@link LocalDatabase#renewIdentity()}): it may be older than transactions this member wrote as primary.
     */
    private void provision(ExistingData existing) throws IOException, InterruptedException {
        provision(existing, true);
    }

    /**
     * @param snapshots whether the newest snapshot may be used; a member whose position the primary purged clones a live
     *                  peer instead, whose copy is current (a snapshot older than the primary's binlogs would fail again)
     */
    private void provision(ExistingData existing, boolean snapshots) throws IOException, InterruptedException {
        db.renewIdentity();
        copyInProgress.begin(config.backup().isPresent() ? "the newest snapshot or a live peer" : "a live peer");
        ExistingData inTarget = existing;
        var provisioning = new Provisioning(name, secrets, Restorer.withDefaults());
        Instant deadline = Instant.now().plus(Duration.ofMinutes(10));
        boolean told = false;
        boolean snapshotTried = !snapshots;
        while (true) {
            ClusterView view = cluster.read();
            var donorRecord = view.leader().isPresent() ? provisioning.donor(view) : Optional.<dev.autopilot.agent.cluster.MemberRecord>empty();
            if (donorRecord.isPresent() && config.backup().isPresent() && !snapshotTried) {
                snapshotTried = true;
                Optional<RestoredCopy> copy = provisionFromSnapshot(inTarget);
                GtidPosition primaryKnown = GtidPosition.parse(view.leaderRecord().map(MemberRecord::knownGtids).orElse(""));
                var unknown = copy.map(c -> ErrantTransactions.find(c.gtidPosition(), primaryKnown)).orElse(List.of());
                if (!unknown.isEmpty()) {
                    // Taken from a member before it diverged: replicating on top of it would find it errant again.
                    LOG.warn("{}: snapshot at GTID position {} holds transactions primary {} never had ({}); not using it;"
                            + " next: live clone", name, copy.get().gtidPosition(), view.leader().orElse("?"), unknown);
                    inTarget = ExistingData.DISCARD; // the rejected copy this member just restored
                } else if (copy.isPresent()) {
                    db.identity().store(copy.get().datadir());
                    // Seeds the errant-transaction check with the primary's known history (see docs/why.md).
                    restoredHistory = Optional.of(historyUpTo(primaryKnown, copy.get().gtidPosition()));
                    pendingSlavePosition = copy.map(RestoredCopy::gtidPosition);
                    return;
                }
            }
            if (donorRecord.isPresent()) {
                try {
                    RestoredCopy copy = provisioning.cloneFrom(donorRecord.get(), db.dataDir(), inTarget);
                    db.identity().store(copy.datadir());
                    // The copy has no binlog: seed its GTID history from the donor (read before the copy, so
                    // never ahead of it), or every origin server's transactions would look unknown to it.
                    restoredHistory = Optional.of(historyUpTo(GtidPosition.parse(donorRecord.get().knownGtids()), copy.gtidPosition()));
                    pendingSlavePosition = Optional.of(copy.gtidPosition());
                    return;
                } catch (IOException e) {
                    LOG.warn("{}: live clone from {} failed: {}; will try again", name, donorRecord.get().name(), e.getMessage());
                }
            } else if (!told) {
                LOG.info("{}: waiting for a healthy primary or replica to clone from (cluster bootstrapped by {})", name,
                        view.initializedBy().orElse("?"));
                told = true;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IOException("no member could be cloned within 10 minutes; check that the primary is healthy");
            }
            Thread.sleep(1000); // waiting for the cluster to change, not for a condition this process controls
        }
    }

    /** The newest usable snapshot in the object store restored into the data directory, or empty (then: live clone). */
    private Optional<RestoredCopy> provisionFromSnapshot(ExistingData existing) throws IOException, InterruptedException {
        try (SnapshotStore objects = SnapshotStores.open(config.backup().orElseThrow().store())) {
            LOG.info("{}: provisioning from the newest snapshot in {}", name, objects.location());
            return ProvisionFromSnapshots.of(objects, Restorer.withDefaults()).restore(db.dataDir(), existing);
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            LOG.warn("{}: snapshot provisioning failed ({}); next: live clone", name, e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * The binlog history to seed a restored copy with: the cluster's known (domain, server id) entries that lie at or
     * before the copy's position (sequence numbers grow per domain in strict mode), plus the position itself. An entry
     * past the copy would make the replicated transactions look out of order and stop replication.
     */
    static GtidPosition historyUpTo(GtidPosition known, GtidPosition copy) {
        var kept = known.gtids().stream()
                .filter(g -> copy.sequenceInDomain(g.domainId()).filter(max -> Long.compareUnsigned(g.sequence(), max) <= 0).isPresent())
                .toList();
        return GtidPosition.of(kept).merge(copy);
    }

    /**
     * The restored backup's history continues here: new transactions take the next sequence numbers instead of
     * starting again at 1 (root still has a fresh install's empty password at this point).
     */
    private void continueHistory(GtidPosition reached) {
        try (DatabaseAdmin fresh = db.bootstrapAdmin()) {
            fresh.execute("RESET MASTER");
            fresh.execute("SET GLOBAL gtid_binlog_state = '" + reached.format() + "'");
        }
        backupPosition = Optional.empty();
    }

    private Optional<GtidPosition> backupPosition = Optional.empty();
    private Optional<GtidPosition> pendingSlavePosition = Optional.empty();
    private Optional<GtidPosition> restoredHistory = Optional.empty();

    private void startDatabase() throws IOException, InterruptedException {
        if (supervisor == null) {
            ensurePortFree();
            Map<String, HealthCheck> checks = Map.of(LocalDatabase.JOB,
                    () -> db.admin().ping() ? HealthResult.ok() : HealthResult.failed("no answer to SELECT 1"));
            try {
                supervisor = new Supervisor(SupervisorConfig.of(List.of(db.job()), LocalDatabase.JOB), checks, bus, metrics,
                        JobOutput.tagged(System.out, System.err), children);
            } catch (dev.autopilot.supervisor.config.ConfigException e) {
                throw new IllegalStateException("internal: the mariadbd job definition is invalid: " + e.problems());
            }
            supervisor.start();
        }
        awaitDatabase();
        restoredHistory.ifPresent(history -> {
            DatabaseAdmin admin = db.admin();
            admin.execute("RESET MASTER");
            admin.execute("SET GLOBAL gtid_binlog_state = '" + history.format() + "'");
        });
        if (pendingSlavePosition.isPresent()) {
            db.admin().setGtidSlavePos(pendingSlavePosition.get());
            copyInProgress.finish(); // before the HA loop can start replication: re-applying is harmless, skipping is not
        }
        pendingSlavePosition = Optional.empty();
        restoredHistory = Optional.empty();
    }

    /**
     * This member won the cluster's initialize key but never joined the roster, so its bootstrap did not finish (a crash
     * after the data directory was created, before the accounts or the lock) and no client ever wrote to it: whatever
     * data directory it left is set aside (the newest such one is kept for an operator) and the bootstrap starts over.
     * Without this, root would keep a fresh install's empty password and the agent would refuse to start.
     */
    private void setAsideUnfinishedBootstrap() throws IOException {
        Path dataDir = db.dataDir();
        if (DataDirectory.isEmpty(dataDir)) {
            return;
        }
        try (var older = Files.newDirectoryStream(dataDir.getParent(), dataDir.getFileName() + ".unfinished-bootstrap-*")) {
            for (Path p : older) {
                DataDirectory.delete(p);
            }
        }
        Path aside = dataDir.resolveSibling(dataDir.getFileName() + ".unfinished-bootstrap-" + System.currentTimeMillis());
        Files.move(dataDir, aside);
        LOG.warn("{}: data directory {} is from a bootstrap of cluster '{}' that did not finish (this member never joined the"
                + " roster, so no client wrote to it); moved it to {}; next: bootstrap again", name, dataDir, config.cluster(), aside);
    }

    /** A clear error now beats a database restarting forever on "address already in use". */
    private void ensurePortFree() {
        try (var socket = new java.net.ServerSocket()) {
            socket.bind(new InetSocketAddress(config.member().address(), config.mysql().port()));
        } catch (IOException e) {
            throw new IllegalStateException("port " + config.member().address() + ":" + config.mysql().port()
                    + " is in use (" + e.getMessage() + "); stop what listens there or change mysql.port / member.address");
        }
    }

    private void awaitDatabase() throws InterruptedException {
        Instant deadline = Instant.now().plus(START_TIMEOUT);
        DatabaseAdmin probe = db.bootstrapAdmin();
        try {
            while (Instant.now().isBefore(deadline)) {
                if (db.admin().ping()) {
                    db.admin().flavor(); // rejects an unsupported server version with a clear message
                    return;
                }
                if (probe.ping()) {
                    return; // freshly initialised: root has no password yet
                }
                // Asked again after the refusal: the server may have come up between the two pings above and it.
                if (db.accessProblem().filter(why -> why.contains("Access denied")).isPresent() && !probe.ping()) {
                    throw new IllegalStateException("mariadbd on " + db.dataDir() + " refuses root: the secret root-password does"
                            + " not match the password stored in this data directory; give every member the cluster's root-password");
                }
                if (supervisor.exitCode().isDone()) {
                    break;
                }
                Thread.sleep(200);
            }
        } finally {
            probe.close();
        }
        throw new IllegalStateException("mariadbd on " + config.member().address() + ":" + config.mysql().port()
                + " did not accept connections within " + START_TIMEOUT.toSeconds() + " s; its error log says:\n"
                + db.server().errorLogTail(20));
    }

    private void bootstrapUsers() {
        Optional<ClusterAccounts.Application> app = config.mysql().appUser().map(user -> new ClusterAccounts.Application(
                new Credentials(user, secrets.appPassword().orElseThrow()), config.mysql().appDatabase().orElse(user)));
        var accounts = new ClusterAccounts(secrets.root(), secrets.replication(), secrets.monitor(), secrets.backup(), app);
        try (DatabaseAdmin fresh = db.bootstrapAdmin()) {
            // Not binlogged: every later member is a copy of this data directory, accounts included (issue 13, point 5).
            new UserBootstrap().apply(fresh, accounts, false);
        }
        LOG.info("{}: created root, replication, monitor and backup accounts{}", name,
                app.map(a -> " and application account " + a.credentials().user() + " on database " + a.database()).orElse(""));
    }

    private void startDonor() throws IOException {
        Path work = config.member().dataDir().resolve("clone-work");
        Files.createDirectories(work);
        donor = new CloneDonor(DonorSettings.of(new InetSocketAddress(config.member().address(), config.clonePort()),
                CloneToken.of(secrets.cloneToken()),
                config.member().address(), config.mysql().port(), secrets.backup(), db.dataDir(), work)
                .withTls(config.mysql().tls().map(AgentConfig.Tls::caFile)));
        donor.start();
    }

    /**
     * Provisions the member again (newest snapshot, else a live clone; after purged binlogs a live clone), under a new
     * server_id; once at a time. After errant transactions the old data directory is moved aside for an operator (its
     * binlogs hold the discarded transactions); a member that fell behind the primary's binlogs holds nothing the primary
     * lacks, so its old data is deleted rather than kept as a second full copy.
     */
    private void rebuildFrom(String primary, HaCycle.RebuildReason reason) {
        if (!rebuilding.compareAndSet(false, true)) {
            return;
        }
        Thread.ofVirtual().name("rebuild-" + name).start(() -> {
            try {
                loop.state(MemberState.PROVISIONING);
                supervisor.stop();
                supervisor = null;
                if (reason == HaCycle.RebuildReason.ERRANT_TRANSACTIONS) {
                    Path aside = db.dataDir().resolveSibling("mysql.diverged-" + System.currentTimeMillis());
                    Files.move(db.dataDir(), aside);
                    LOG.warn("{}: moved diverged data directory to {} (its binlogs hold the discarded transactions); provisioning"
                            + " it again", name, aside);
                } else {
                    DataDirectory.delete(db.dataDir());
                    LOG.warn("{}: deleted data directory {}: primary {} no longer has the binlogs it needs to catch up (it held"
                            + " nothing the primary lacks); provisioning it again", name, db.dataDir(), primary);
                }
                provision(ExistingData.REFUSE, reason == HaCycle.RebuildReason.ERRANT_TRANSACTIONS);
                startDatabase();
                loop.state(MemberState.STARTING);
                loop.wake();
            } catch (Exception e) {
                LOG.error("{}: rebuild failed: {}; operator action needed", name, e.toString(), e);
            } finally {
                rebuilding.set(false);
            }
        });
    }

    @Override
    public String memberName() {
        return name;
    }

    @Override
    public Optional<MemberRecord> self() {
        return loop().map(HaLoop::lastRecord);
    }

    @Override
    public Optional<ClusterView> cluster() {
        return loop().map(HaLoop::lastView);
    }

    @Override
    public boolean holdsLock() {
        return lock != null && (lock.isHeld() || loop().map(l -> l.cycle().leadsUnderFailsafe()).orElse(false));
    }

    @Override
    public String confirmFailsafe(String primary, Duration window) {
        return loop().orElseThrow(() -> new IllegalStateException(name + " is not running its HA loop yet"))
                .cycle().confirmFailsafe(primary, window);
    }

    @Override
    public Optional<Outcome> lastOutcome() {
        return loop().map(HaLoop::lastOutcome);
    }

    @Override
    public String switchover(Optional<String> target) {
        ClusterView view = cluster.read();
        String primary = view.leader().orElseThrow(() -> new IllegalStateException("the cluster has no primary to switch over from"));
        if (target.isPresent()) {
            MemberRecord t = view.member(target.get()).orElseThrow(() -> new IllegalStateException("no member named " + target.get()));
            if (t.name().equals(primary)) {
                throw new IllegalStateException(t.name() + " is already the primary");
            }
            if (!t.healthy() || t.role() != Role.REPLICA) {
                throw new IllegalStateException(t.name() + " is not a healthy replica (state " + t.state() + ", role " + t.role() + ")");
            }
        }
        cluster.requestSwitchover(new SwitchoverRequest(primary, target.orElse(""), System.currentTimeMillis(), ""));
        return "switchover requested: " + primary + " hands over to " + target.orElse("the best replica");
    }

    @Override
    public String failover(String target, boolean force) {
        ClusterView view = cluster.read();
        MemberRecord t = view.member(target).orElseThrow(() -> new IllegalStateException("no member named " + target));
        if (view.leader().isPresent() && !force) {
            throw new IllegalStateException(view.leader().get() + " is a live primary; use switchover, or --force to fail over anyway");
        }
        if (!t.promotable()) {
            throw new IllegalStateException(target + " cannot be promoted: its database is down or its applier failed");
        }
        store.delete(ClusterStore.LAST_PROMOTION);
        cluster.requestSwitchover(new SwitchoverRequest(view.leader().orElse(""), target, System.currentTimeMillis(), ""));
        return "failover requested: " + target + " becomes primary" + view.leader().map(l -> " (" + l + " steps down)").orElse("");
    }

    @Override
    public void pause(boolean paused) {
        cluster.setPaused(paused);
    }

    private boolean hasHealthyReplica() {
        try {
            return cluster.read().members().values().stream()
                    .anyMatch(m -> !m.name().equals(name) && m.role() == Role.REPLICA && m.healthy());
        } catch (RuntimeException e) {
            return false; // store unreachable: nobody could take over through it anyway
        }
    }

    /** Graceful stop: a primary hands over first, then services are left, the database stopped, the store closed. */
    public void stop() throws InterruptedException {
        if (loop != null) {
            loop.state(MemberState.STOPPING);
            if (loop.cycle().role() == Role.PRIMARY && lock.isHeld() && hasHealthyReplica()) {
                try {
                    cluster.requestSwitchover(new SwitchoverRequest(name, "", System.currentTimeMillis(), ""));
                    loop.wake();
                    Instant until = Instant.now().plusSeconds(5);
                    while (lock.isHeld() && Instant.now().isBefore(until)) {
                        Thread.sleep(20);
                    }
                } catch (RuntimeException e) {
                    LOG.warn("{}: hand-over failed ({}); releasing the lock", name, e.getMessage());
                }
            }
            loop.withdraw();
            loop.close();
        }
        if (lock != null && lock.isHeld()) {
            db.fence("graceful stop");
            lock.release();
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
        if (supervisor != null) {
            supervisor.stop();
        }
        if (db != null) {
            db.close();
        }
        if (store != null) {
            store.close();
        }
        if (api != null) {
            api.close();
        }
        bus.close();
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
