package dev.autopilot.agent.backup;

import dev.autopilot.agent.api.BackupRequests;
import dev.autopilot.agent.cluster.ClusterView;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.agent.cluster.MemberState;
import dev.autopilot.agent.cluster.Role;
import dev.autopilot.agent.config.AgentConfig;
import dev.autopilot.agent.history.EventKind;
import dev.autopilot.agent.history.History;
import dev.autopilot.agent.config.ClusterSecrets;
import dev.autopilot.agent.db.LocalDatabase;
import dev.autopilot.agent.lifecycle.HeapTrim;
import dev.autopilot.agent.metrics.ClusterMetrics;
import dev.autopilot.backup.binlog.BinlogArchiver;
import dev.autopilot.backup.pitr.BackupService;
import dev.autopilot.backup.pitr.Retention;
import dev.autopilot.backup.snapshot.BackupTarget;
import dev.autopilot.backup.snapshot.SnapshotInfo;
import dev.autopilot.coordination.Coordinator;
import dev.autopilot.storage.SnapshotStore;
import dev.autopilot.storage.SnapshotStores;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the backup feature off the HA loop: on the primary, archives every closed binlog (rotating at least every
 * {@code backup.archiveInterval}); on the designated member — the first healthy replica by name, else the
 * primary — takes a snapshot when one is due, then applies retention. A failing object store never touches the
 * database's health: attempts back off, and {@code autopilot_backup_overdue} says when a snapshot is late.
 */
public final class BackupJobs implements BackupRequests, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BackupJobs.class);
    /** A snapshot is also due once this many archived binlogs hold transactions after the last one. */
    private static final long BINLOG_THRESHOLD = 50;
    private static final Duration TICK = Duration.ofSeconds(10);

    private final AgentConfig config;
    private final AgentConfig.Backup settings;
    private final ClusterSecrets secrets;
    private final LocalDatabase db;
    private final Supplier<Role> role;
    private final Supplier<Optional<ClusterView>> view;
    private final SnapshotStore store;
    private final BackupService service;
    private final BinlogArchiver archiver;
    private final Semaphore wake = new Semaphore(0);
    private volatile boolean running = true;
    private volatile boolean snapshotRequested;
    /** This member archives (it is the primary), and since when its archive holds every closed binlog. */
    private volatile boolean archiving;
    private volatile Instant archiveCompleteAt = Instant.now();
    private String lastProblem = "";
    private Thread thread;
    private volatile History history = History.NONE;

    public BackupJobs(AgentConfig config, ClusterSecrets secrets, LocalDatabase db, Coordinator coordinator,
                      Supplier<Role> role, Supplier<Optional<ClusterView>> view, ClusterMetrics metrics) throws IOException {
        this.config = config;
        this.settings = config.backup().orElseThrow();
        this.secrets = secrets;
        this.db = db;
        this.role = role;
        this.view = view;
        this.store = metrics.objectStore(SnapshotStores.open(settings.store()));
        this.service = new BackupService(store, new StoreSnapshotCoordination(coordinator, config.member().name()),
                new Retention(settings.keep()), Clock.systemUTC(), Duration.ofSeconds(10), Duration.ofMinutes(10));
        Path work = config.member().dataDir().resolve("backup-work");
        Files.createDirectories(work);
        this.archiver = BinlogArchiver.of(store, db.dataDir(), settings.archiveInterval(), work);
        // From what the service already knows: a scrape must not wait for the object store.
        metrics.backups(() -> service.status().lastSnapshot().map(SnapshotInfo::created), settings.interval(),
                () -> service.status().bytesUploaded(), () -> archiving ? Optional.of(archiveCompleteAt) : Optional.empty());
    }

    /** Where snapshots taken and backup failures (an archive gap among them) are recorded. */
    public void recordTo(History events) {
        this.history = events;
    }

    public void start() {
        thread = Thread.ofVirtual().name("backup-jobs-" + config.member().name()).start(this::loop);
        LOG.info("{}: backups to {} (snapshot every {}, binlogs archived at least every {}, keep {})", config.member().name(),
                store.location(), settings.interval(), settings.archiveInterval(), settings.keep());
    }

    /** This server's binlogs that the archive holds (binlog retention on the primary purges only these). */
    public Set<String> archivedBinlogs() throws IOException {
        return archiver.archivedFiles(db.admin());
    }

    /**
     * The newest snapshot known, for the member record and status: what the jobs last read, never a read of the object
     * store (the HA loop calls this every cycle, and a hung store must not hold it up; the jobs refresh it).
     */
    public Optional<SnapshotInfo> lastSnapshot() {
        return service.status().lastSnapshot();
    }

    private void loop() {
        while (running) {
            try {
                tick();
                problem("");
            } catch (IOException | RuntimeException e) {
                problem(e.getMessage() == null ? e.toString() : e.getMessage());
            } catch (InterruptedException e) {
                return;
            }
            try {
                wake.tryAcquire(TICK.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void tick() throws IOException, InterruptedException {
        service.lastSnapshot(); // reads the store's catalog when a minute has passed: snapshots other members took
        boolean primary = role.get() == Role.PRIMARY;
        if (primary && !archiving) {
            archiveCompleteAt = Instant.now(); // a new primary's binlogs hold everything it replicated: the archive is its own from here
        }
        archiving = primary;
        if (primary) {
            Instant pass = Instant.now(); // every binlog closed before this instant is archived once the pass succeeds
            service.archiveBinlogs(archiver, db.admin());
            archiveCompleteAt = pass;
        }
        boolean requested = snapshotRequested;
        if ((requested || designatedTaker()) && (requested || service.due(settings.interval(), service.binlogsSinceLast(), BINLOG_THRESHOLD))) {
            snapshotRequested = false;
            var target = BackupTarget.of(config.member().name(), config.member().address(), config.mysql().port(), secrets.backup(),
                    db.dataDir(), config.member().dataDir().resolve("backup-work")).withTls(config.mysql().tls().map(t -> t.caFile()));
            service.takeSnapshot(target).ifPresent(s -> {
                history.record(EventKind.SNAPSHOT_TAKEN, config.member().name() + " took snapshot " + s.id() + " at GTID position "
                        + s.gtidPosition().format(), Map.of("id", s.id(), "bytes", s.size(), "durationMillis", s.duration().toMillis()));
                try {
                    service.applyRetention();
                } catch (IOException e) {
                    LOG.warn("{}: retention after snapshot {} failed: {}; will retry after the next snapshot",
                            config.member().name(), s.id(), e.getMessage());
                }
                HeapTrim.afterPeak("snapshot " + s.id());
            });
        }
    }

    /** The first healthy replica by name takes snapshots (sparing the primary); without one, the primary does. */
    private boolean designatedTaker() {
        Optional<ClusterView> v = view.get();
        if (v.isEmpty()) {
            return false;
        }
        List<MemberRecord> replicas = v.get().members().values().stream()
                .filter(m -> m.role() == Role.REPLICA && m.healthy() && m.state() == MemberState.RUNNING).toList();
        String me = config.member().name();
        return replicas.isEmpty() ? role.get() == Role.PRIMARY : replicas.getFirst().name().equals(me);
    }

    /** Logged once per change, not per attempt. */
    private void problem(String now) {
        if (!now.equals(lastProblem)) {
            if (now.isEmpty()) {
                LOG.info("{}: backups working again", config.member().name());
            } else {
                LOG.warn("{}: backup job failed: {}; retrying with backoff (database health is not affected)", config.member().name(), now);
                // The archiver names a binlog purged before it was archived this way (BinlogArchiver).
                history.record(now.contains("archive has a gap") ? EventKind.ARCHIVE_GAP : EventKind.SNAPSHOT_FAILED,
                        config.member().name() + ": " + now);
            }
            lastProblem = now;
        }
    }

    @Override
    public String backup() {
        snapshotRequested = true;
        wake.release();
        return "snapshot requested on " + config.member().name() + " (uploads to " + store.location() + ")";
    }

    @Override
    public List<Map<String, Object>> list() {
        try {
            return service.snapshots().stream().map(s -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", s.id());
                m.put("created", s.created().toString());
                m.put("source", s.source());
                m.put("size", s.size());
                m.put("gtidPosition", s.gtidPosition().format());
                m.put("sha256", s.sha256());
                return m;
            }).toList();
        } catch (IOException e) {
            throw new IllegalStateException("object store " + store.location() + " unreachable: " + e.getMessage());
        }
    }

    @Override
    public String restore(String snapshotId) {
        throw new IllegalStateException("restore into a new directory with 'autopilot restore --to <time|GTID> --target-dir DIR';"
                + " a replica rebuilds itself from the newest snapshot when its data directory is empty");
    }

    @Override
    public void close() {
        running = false;
        wake.release();
        if (thread != null) {
            thread.interrupt();
        }
        try {
            store.close();
        } catch (Exception e) {
            LOG.debug("closing the object store: {}", e.toString());
        }
    }
}
