package dev.autopilot.backup.pitr;

import dev.autopilot.backup.binlog.ArchivedBinlog;
import dev.autopilot.backup.binlog.BinlogArchiver;
import dev.autopilot.backup.snapshot.BackupTarget;
import dev.autopilot.backup.snapshot.SnapshotCatalog;
import dev.autopilot.backup.snapshot.SnapshotInfo;
import dev.autopilot.backup.snapshot.SnapshotWriter;
import dev.autopilot.mysql.admin.DatabaseAdmin;
import dev.autopilot.mysql.gtid.GtidPosition;
import dev.autopilot.storage.SnapshotStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The facade the agent drives from its scheduled jobs: take a snapshot (one at a time cluster-wide, through
 * {@link SnapshotCoordination}), archive binlogs, apply retention, and report whether backups are overdue. Never
 * touches the database's health: an unreachable store only makes attempts fail, back off and show as overdue.
 *
 * <p>Thread-safe; snapshots are serialized per member as well as cluster-wide, and the status calls never wait
 * for a running backup.
 */
public final class BackupService {

    private static final Logger log = LoggerFactory.getLogger(BackupService.class);

    private final SnapshotStore store;
    private final SnapshotCatalog catalog;
    private final SnapshotWriter writer;
    private final SnapshotCoordination coordination;
    private final Retention retention;
    private final Clock clock;
    private final Duration backoffMin;
    private final Duration backoffMax;

    private static final Duration CATALOG_REFRESH = Duration.ofMinutes(1);

    private final java.util.concurrent.locks.ReentrantLock taking = new java.util.concurrent.locks.ReentrantLock();
    private SnapshotInfo lastSnapshot;
    private Instant catalogReadAt;
    private Instant lastFailure;
    private String lastError;
    private Class<?> lastErrorType;
    private int failures;
    private Instant nextAttempt = Instant.EPOCH;
    private long bytesUploaded;

    public BackupService(SnapshotStore store, SnapshotCoordination coordination, Retention retention, Clock clock,
                         Duration backoffMin, Duration backoffMax) {
        if (backoffMin.isNegative() || backoffMin.isZero() || backoffMax.compareTo(backoffMin) < 0) {
            throw new IllegalArgumentException("snapshot backoff " + backoffMin + ".." + backoffMax
                    + " must be positive with min <= max");
        }
        this.store = store;
        this.catalog = new SnapshotCatalog(store);
        this.writer = new SnapshotWriter(store, clock);
        this.coordination = coordination;
        this.retention = retention;
        this.clock = clock;
        this.backoffMin = backoffMin;
        this.backoffMax = backoffMax;
    }

    /**
     * Takes a snapshot of {@code from} when this member gets the cluster-wide lock, verifies it is complete in the
     * catalog, then moves the {@code latest} pointer. Blocks for the whole backup.
     *
     * @return the snapshot, or empty when another member holds the lock
     * @throws IOException the backup or the store failed: nothing was published; the next attempt backs off
     */
    public Optional<SnapshotInfo> takeSnapshot(BackupTarget from) throws IOException, InterruptedException {
        // Its own lock, not this object's monitor: status, overdue and due must answer while a backup runs.
        if (!taking.tryLock()) {
            log.info("snapshot of {} skipped: this member is already taking one", from.member());
            return Optional.empty();
        }
        try {
            if (!coordination.tryLock()) {
                log.info("snapshot of {} skipped: another member holds the cluster's snapshot lock", from.member());
                synchronized (this) {
                    catalogReadAt = null; // read the catalog again next time: the other member's snapshot counts
                }
                return Optional.empty();
            }
            try {
                SnapshotInfo taken = writer.take(from);
                boolean listed = catalog.list().stream().anyMatch(s -> s.id().equals(taken.id()) && s.sha256().equals(taken.sha256()));
                if (!listed) {
                    throw new IOException("snapshot " + taken.id() + " was uploaded but " + store.location()
                            + " does not list it as complete; the latest pointer stays where it was");
                }
                coordination.publishLatest(taken);
                recordSuccess(taken);
                return Optional.of(taken);
            } catch (IOException | RuntimeException e) {
                recordFailure(from, e);
                throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
            } finally {
                coordination.unlock();
            }
        } finally {
            taking.unlock();
        }
    }

    private synchronized void recordSuccess(SnapshotInfo taken) {
        if (failures > 0) {
            log.info("snapshots work again after {} failed attempt(s): {} is the latest", failures, taken.id());
        }
        offer(taken);
        bytesUploaded += taken.size();
        failures = 0;
        lastFailure = null;
        lastError = null;
        lastErrorType = null;
        nextAttempt = Instant.EPOCH;
    }

    private synchronized void recordFailure(BackupTarget from, Exception e) {
        failures++;
        Instant now = clock.instant();
        long factor = 1L << Math.min(20, failures - 1);
        Duration wait = backoffMin.multipliedBy(factor);
        if (wait.compareTo(backoffMax) > 0) {
            wait = backoffMax;
        }
        String error = e.getMessage() == null ? e.toString() : e.getMessage();
        if (failures == 1 || !e.getClass().equals(lastErrorType)) { // once per state change, not per attempt
            log.warn("snapshot of {} to {} failed: {}; next attempt in {} s (backing off up to {} s)", from.member(),
                    store.location(), error, wait.toSeconds(), backoffMax.toSeconds());
        }
        lastFailure = now;
        lastError = error;
        lastErrorType = e.getClass();
        nextAttempt = now.plus(wait);
    }

    /**
     * Whether the scheduler should start a snapshot now: not while backing off after a failure; then when there is
     * none yet, the last is older than {@code interval}, or {@code binlogsSince} (see {@link #binlogsSinceLast})
     * reached {@code binlogThreshold}.
     */
    public boolean due(Duration interval, long binlogsSince, long binlogThreshold) {
        Instant now = clock.instant();
        synchronized (this) {
            if (now.isBefore(nextAttempt)) {
                return false;
            }
        }
        // The latest pointer is one cheap read: when another member moved it, the cached catalog is stale.
        Optional<String> pointer = Optional.empty();
        try {
            pointer = coordination.latest();
        } catch (RuntimeException e) {
            log.debug("cannot read the latest snapshot pointer: {}", e.toString());
        }
        synchronized (this) {
            if (pointer.isPresent() && (lastSnapshot == null || !pointer.get().equals(lastSnapshot.id()))) {
                catalogReadAt = null;
            }
        }
        Optional<SnapshotInfo> last = lastSnapshot();
        return last.isEmpty() || !now.isBefore(last.get().created().plus(interval)) || binlogsSince >= binlogThreshold;
    }

    /** True when the newest snapshot known is older than {@code interval} (or there is none): alert on it. */
    public boolean overdue(Duration interval) {
        return lastSnapshot().map(s -> clock.instant().isAfter(s.created().plus(interval))).orElse(true);
    }

    /**
     * The newest snapshot known: the catalog's (another member may have taken it), read at most once a minute and
     * outside this object's monitor; the last one known when the store is unreachable.
     */
    public Optional<SnapshotInfo> lastSnapshot() {
        boolean refresh;
        synchronized (this) {
            Instant now = clock.instant();
            refresh = catalogReadAt == null || !now.isBefore(catalogReadAt.plus(CATALOG_REFRESH));
            if (refresh) {
                catalogReadAt = now;
            }
        }
        if (refresh) {
            try {
                catalog.latest().ifPresent(this::offer);
            } catch (IOException | RuntimeException e) {
                log.debug("cannot read the snapshot catalog in {}: {}", store.location(), e.toString());
            }
        }
        synchronized (this) {
            return Optional.ofNullable(lastSnapshot);
        }
    }

    private synchronized void offer(SnapshotInfo s) {
        if (lastSnapshot == null || s.id().compareTo(lastSnapshot.id()) > 0) {
            lastSnapshot = s;
        }
    }

    /** For the status output and metrics. */
    public synchronized BackupStatus status() {
        return new BackupStatus(Optional.ofNullable(lastSnapshot), Optional.ofNullable(lastFailure),
                Optional.ofNullable(lastError), failures, nextAttempt, bytesUploaded);
    }

    /** Complete snapshots in the store, newest first. */
    public List<SnapshotInfo> snapshots() throws IOException {
        return catalog.list();
    }

    /** Archived binlogs holding transactions after {@code snapshot}'s position: "binlogs have moved on by N". */
    public long binlogsSinceLast() throws IOException {
        GtidPosition from = lastSnapshot().map(SnapshotInfo::gtidPosition).orElse(GtidPosition.empty());
        return BinlogArchiver.list(store).stream().filter(b -> b.range()
                .map(r -> !from.includes(GtidPosition.of(r.lastGtid()))).orElse(false)).count();
    }

    /** One binlog archive pass on the primary (see {@link BinlogArchiver#archive}). */
    public List<ArchivedBinlog> archiveBinlogs(BinlogArchiver archiver, DatabaseAdmin primary) throws IOException, InterruptedException {
        return archiver.archive(primary);
    }

    /** Deletes old snapshots and the binlogs no kept snapshot needs; returns what was deleted. */
    public Retention.Plan applyRetention() throws IOException {
        Retention.Plan plan = retention.select(catalog.list(), BinlogArchiver.list(store));
        for (SnapshotInfo s : plan.snapshots()) {
            catalog.delete(s);
        }
        for (ArchivedBinlog b : plan.binlogs()) {
            store.delete(b.key());
        }
        if (!plan.isEmpty()) {
            log.info("retention (keep {} snapshots) deleted {} snapshot(s) and {} archived binlog(s) from {}",
                    retention.keep(), plan.snapshots().size(), plan.binlogs().size(), store.location());
        }
        return plan;
    }
}
