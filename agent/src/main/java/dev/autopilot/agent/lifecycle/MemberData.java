package dev.autopilot.agent.lifecycle;

import dev.autopilot.agent.cluster.ClusterStore;
import dev.autopilot.agent.cluster.ClusterView;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.agent.config.AgentConfig;
import dev.autopilot.agent.config.ClusterSecrets;
import dev.autopilot.agent.db.LocalDatabase;
import dev.autopilot.agent.metrics.ProvisioningMeter;
import dev.autopilot.agent.history.EventKind;
import dev.autopilot.agent.history.History;
import dev.autopilot.backup.restore.ExistingData;
import dev.autopilot.backup.restore.RestoredCopy;
import dev.autopilot.backup.restore.Restorer;
import dev.autopilot.backup.snapshot.ProvisionFromSnapshots;
import dev.autopilot.coordination.LeaderLock;
import dev.autopilot.mysql.admin.ClusterAccounts;
import dev.autopilot.mysql.admin.DatabaseAdmin;
import dev.autopilot.mysql.admin.UserBootstrap;
import dev.autopilot.mysql.auth.Credentials;
import dev.autopilot.mysql.gtid.ErrantTransactions;
import dev.autopilot.mysql.gtid.GtidPosition;
import dev.autopilot.mysql.server.DataDirectory;
import dev.autopilot.storage.SnapshotStore;
import dev.autopilot.storage.SnapshotStores;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives the member its data: at start the bootstrap of a new cluster (fresh or from a backup), a copy of the cluster's
 * data for a joiner, or the member's own data; it also finishes what an interrupted start left (a copy whose position
 * was never applied, a bootstrap that never created its accounts), and replaces the data for a rebuild.
 */
public final class MemberData {
    private static final Logger LOG = LoggerFactory.getLogger(MemberData.class);

    /**
     * What the start found and did to the data directory.
     *
     * @param bootstrapping  this member bootstraps the cluster: accounts and the leader lock follow once the server runs
     * @param backupPosition for {@code bootstrap.fromBackup}: the position reached, continued by the new history
     * @param copy           what a copy still needs once the server runs
     */
    public record Start(boolean bootstrapping, Optional<GtidPosition> backupPosition, CopyToApply copy) {}

    private final AgentConfig config;
    private final ClusterSecrets secrets;
    private final String name;
    private final LocalDatabase db;
    private final ClusterStore cluster;
    private final CopyInProgress copyInProgress;
    private final ProvisioningMeter meter;
    private final History history;

    public MemberData(AgentConfig config, ClusterSecrets secrets, LocalDatabase db, ClusterStore cluster, CopyInProgress copyInProgress,
                      ProvisioningMeter meter, History history) {
        this.history = history;
        this.config = config;
        this.secrets = secrets;
        this.name = config.member().name();
        this.db = db;
        this.cluster = cluster;
        this.copyInProgress = copyInProgress;
        this.meter = meter;
    }

    /** Puts the member's data in place before its server first starts. */
    public Start prepare() throws IOException, InterruptedException {
        boolean unfinished = cluster.initializedBy().filter(name::equals).isPresent() && cluster.roster().isEmpty();
        if (unfinished) {
            setAsideUnfinishedBootstrap();
        }
        if (!db.isProvisioned()) {
            if (unfinished || cluster.claimInitialize(name)) {
                LOG.info("{}: new cluster '{}': this member bootstraps it as the first primary{}", name, config.cluster(),
                        unfinished ? " (resuming a bootstrap that did not finish)" : "");
                if (config.bootstrap().isPresent()) {
                    GtidPosition reached = new BackupBootstrap(name, config.member().dataDir(), db.dataDir(), db.identity())
                            .restore(config.bootstrap().get());
                    return new Start(true, Optional.of(reached), CopyToApply.NONE);
                }
                db.server().initialise(Duration.ofMinutes(2));
                return new Start(true, Optional.empty(), CopyToApply.NONE);
            }
            return new Start(false, Optional.empty(), provision(ExistingData.REFUSE, true));
        }
        if (copyInProgress.isPresent()) {
            GtidPosition at = copyInProgress.unappliedPosition(db.dataDir());
            ClusterView view = cluster.read();
            GtidPosition known = view.members().values().stream().map(r -> GtidPosition.parse(r.knownGtids()))
                    .reduce(GtidPosition.parse(""), GtidPosition::merge);
            LOG.warn("{}: data directory {} holds a copy whose replication position was never applied (the agent stopped"
                    + " in between); applying GTID position {} now, as it would have been", name, db.dataDir(), at);
            return new Start(false, Optional.empty(), CopyToApply.of(historyUpTo(known, at), at));
        }
        LOG.info("{}: data directory {} holds this member's data; starting it read-only", name, db.dataDir());
        return new Start(false, Optional.empty(), CopyToApply.NONE);
    }

    /**
     * The bootstrap's second half, once the fresh server runs: the restored backup's history continued, the cluster's
     * accounts created, the leader lock taken. The member joins the roster only after this, so a crash anywhere before
     * leaves a bootstrap that the next start sets aside and redoes.
     */
    public void finishBootstrap(Start start, LeaderLock lock) throws InterruptedException {
        start.backupPosition().ifPresent(this::continueHistory);
        createAccounts();
        acquireFirstLock(lock);
    }

    /**
     * A bootstrap that died after taking the lock, before joining the roster, left the lock held under its own name by
     * a lease nobody renews: it frees within the TTL. Any other holder means another cluster with the same name.
     */
    private void acquireFirstLock(LeaderLock lock) throws InterruptedException {
        Instant until = Instant.now().plus(config.lock().ttl().multipliedBy(2)).plusSeconds(5); // etcd may round a lease up
        boolean told = false;
        while (!lock.tryAcquire()) {
            Optional<String> holder = lock.holder();
            if (holder.isPresent() && (!holder.get().equals(name) || Instant.now().isAfter(until))) {
                throw new IllegalStateException("the leader lock of new cluster '" + config.cluster() + "' is held by "
                        + holder.get() + "; another cluster may use the same name and store");
            }
            if (!told && holder.isPresent()) {
                LOG.info("{}: the leader lock is still held under this member's name by the run that died before its bootstrap"
                        + " finished; its lease expires within {} s, then this member takes the lock", name, config.lock().ttl().toSeconds());
                told = true;
            }
            Thread.sleep(200); // waiting for a lease in the store to expire
        }
    }

    /**
     * Puts a copy of the cluster's data into the data directory: the newest snapshot when backups are configured, else
     * (or when it cannot be used) a live clone from a peer. The copy runs under a new {@code server_id}
     * ({@link LocalDatabase#renewIdentity()}): it may be older than transactions this member wrote as primary.
     *
     * @param snapshots whether the newest snapshot may be used; a member whose position the primary purged clones a live
     *                  peer instead, whose copy is current (a snapshot older than the primary's binlogs would fail again)
     */
    public CopyToApply provision(ExistingData existing, boolean snapshots) throws IOException, InterruptedException {
        try (ProvisioningMeter.Copying copying = meter.copying()) {
            return copy(existing, snapshots);
        } finally {
            HeapTrim.afterPeak("provisioning");
        }
    }

    private CopyToApply copy(ExistingData existing, boolean snapshots) throws IOException, InterruptedException {
        db.renewIdentity();
        copyInProgress.begin(config.backup().isPresent() ? "the newest snapshot or a live peer" : "a live peer");
        ExistingData inTarget = existing;
        var provisioning = new Provisioning(name, secrets, Restorer.withDefaults(),
                config.mysql().tls().map(t -> t.context("mysql.tls")), meter::counted, history);
        Instant deadline = Instant.now().plus(Duration.ofMinutes(10));
        boolean told = false;
        boolean snapshotTried = !snapshots;
        while (true) {
            ClusterView view = cluster.read();
            Optional<MemberRecord> donor = view.leader().isPresent() ? provisioning.donor(view) : Optional.empty();
            // A snapshot is checked against the primary's history: only a record read from its answering database has one.
            boolean primaryAnswers = view.leaderRecord().map(MemberRecord::healthy).orElse(false);
            if (donor.isPresent() && config.backup().isPresent() && !snapshotTried && primaryAnswers) {
                snapshotTried = true;
                Optional<RestoredCopy> copy = provisionFromSnapshot(inTarget);
                GtidPosition primaryKnown = GtidPosition.parse(view.leaderRecord().map(MemberRecord::knownGtids).orElse(""));
                long primaryServerId = view.leaderRecord().map(MemberRecord::serverId).orElse(0L);
                var unknown = copy.map(c -> ErrantTransactions.find(c.gtidPosition(), primaryKnown, primaryServerId)).orElse(List.of());
                if (!unknown.isEmpty()) {
                    // Taken from a member before it diverged: replicating on top of it would find it errant again.
                    LOG.warn("{}: snapshot at GTID position {} holds transactions primary {} never had ({}); not using it;"
                            + " next: live clone", name, copy.get().gtidPosition(), view.leader().orElse("?"), unknown);
                    inTarget = ExistingData.DISCARD; // the rejected copy this member just restored
                } else if (copy.isPresent()) {
                    db.identity().store(copy.get().datadir());
                    // Seeds the errant-transaction check with the primary's known history (see docs/why.md).
                    return CopyToApply.of(historyUpTo(primaryKnown, copy.get().gtidPosition()), copy.get().gtidPosition());
                }
            }
            if (donor.isPresent()) {
                try {
                    RestoredCopy copy = provisioning.cloneFrom(donor.get(), db.dataDir(), inTarget);
                    db.identity().store(copy.datadir());
                    // The copy has no binlog: seed its GTID history from the donor (read before the copy, so
                    // never ahead of it), or every origin server's transactions would look unknown to it.
                    return CopyToApply.of(historyUpTo(GtidPosition.parse(donor.get().knownGtids()), copy.gtidPosition()),
                            copy.gtidPosition());
                } catch (IOException e) {
                    LOG.warn("{}: live clone from {} failed: {}; will try again", name, donor.get().name(), e.getMessage());
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

    /**
     * Clears the data directory for a rebuild. After errant transactions the old data directory is moved aside for an
     * operator (its binlogs hold the discarded transactions); a member that fell behind the primary's binlogs holds
     * nothing the primary lacks, so its old data is deleted rather than kept as a second full copy.
     *
     * @param diverged whether the member holds errant transactions
     */
    public void clearForRebuild(String primary, boolean diverged) throws IOException {
        if (diverged) {
            Path aside = db.dataDir().resolveSibling("mysql.diverged-" + System.currentTimeMillis());
            Files.move(db.dataDir(), aside);
            LOG.warn("{}: moved diverged data directory to {} (its binlogs hold the discarded transactions); provisioning"
                    + " it again", name, aside);
        } else {
            DataDirectory.delete(db.dataDir());
            LOG.warn("{}: deleted data directory {}: primary {} no longer has the binlogs it needs to catch up (it held"
                    + " nothing the primary lacks); provisioning it again", name, db.dataDir(), primary);
        }
    }

    /** Deletes what a failed rebuild left in the data directory (a partial copy: the member's own data is already gone). */
    public void clearFailedCopy() throws IOException {
        DataDirectory.delete(db.dataDir());
    }

    /** The newest usable snapshot in the object store restored into the data directory, or empty (then: live clone). */
    private Optional<RestoredCopy> provisionFromSnapshot(ExistingData existing) throws IOException, InterruptedException {
        try (SnapshotStore objects = meter.counted(SnapshotStores.open(config.backup().orElseThrow().store()))) {
            LOG.info("{}: provisioning from the newest snapshot in {}", name, objects.location());
            String source = "newest snapshot in " + objects.location();
            history.record(EventKind.PROVISIONING_STARTED, name + " copies its data from the " + source, Map.of("source", source));
            Optional<RestoredCopy> copy = ProvisionFromSnapshots.of(objects, Restorer.withDefaults()
                    .withProgress(new CopyProgress(name, source, history))).restore(db.dataDir(), existing);
            copy.ifPresent(c -> history.record(EventKind.PROVISIONING_FINISHED, name + " restored the " + source + " at GTID position "
                    + c.gtidPosition(), Map.of("source", source, "bytes", c.bytes(), "durationMillis", c.elapsed().toMillis(),
                    "bytesPerSecond", c.bytes() * 1000 / Math.max(1, c.elapsed().toMillis()))));
            return copy;
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
    public static GtidPosition historyUpTo(GtidPosition known, GtidPosition copy) {
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
    }

    private void createAccounts() {
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
}
