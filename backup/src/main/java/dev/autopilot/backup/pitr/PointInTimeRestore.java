package dev.autopilot.backup.pitr;

import com.github.luben.zstd.ZstdInputStream;
import dev.autopilot.backup.binlog.ArchivedBinlog;
import dev.autopilot.backup.binlog.BinlogArchiver;
import dev.autopilot.backup.binlog.BinlogSummary;
import dev.autopilot.backup.restore.ExistingData;
import dev.autopilot.backup.restore.ReplicaStart;
import dev.autopilot.backup.restore.RestoredCopy;
import dev.autopilot.backup.restore.Restorer;
import dev.autopilot.backup.snapshot.SnapshotCatalog;
import dev.autopilot.backup.snapshot.SnapshotInfo;
import dev.autopilot.backup.snapshot.SnapshotSource;
import dev.autopilot.backup.snapshot.ToolPipeline;
import dev.autopilot.mysql.config.ServerSettings;
import dev.autopilot.mysql.gtid.Gtid;
import dev.autopilot.mysql.gtid.GtidPosition;
import dev.autopilot.mysql.server.DataDirectory;
import dev.autopilot.mysql.server.LocalServer;
import dev.autopilot.storage.SnapshotStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code autopilot restore --to <time|GTID> --target-dir DIR}: the newest snapshot taken before the target is
 * restored into DIR, a temporary server is started on it (socket only matters; it never joins a cluster), and
 * the archived binlogs are replayed with {@code mariadb-binlog | mariadb} from the snapshot's GTID position up to
 * the target; then the server is stopped, leaving DIR ready.
 *
 * <p>The binlogs being replayed are copied into a private (0700) scratch directory inside {@code workDir}, which is
 * deleted when the restore ends, however it ends.
 *
 * <p>Archives of several primaries (before and after failovers) overlap: each file is replayed from the GTID
 * position reached so far ({@code --start-position=<gtid>}), so a transaction present in two archives is
 * applied once, and a file that adds nothing is skipped.
 */
public final class PointInTimeRestore {

    private static final Logger log = LoggerFactory.getLogger(PointInTimeRestore.class);
    private static final DateTimeFormatter BINLOG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

    private final SnapshotStore store;
    private final Restorer restorer;
    private final String mariadbBinlog;
    private final String mariadb;
    private final Path workDir;

    public PointInTimeRestore(SnapshotStore store, Restorer restorer, String mariadbBinlog, String mariadb, Path workDir) {
        this.store = store;
        this.restorer = restorer;
        this.mariadbBinlog = mariadbBinlog;
        this.mariadb = mariadb;
        this.workDir = workDir;
    }

    /**
     * Settings for the private temporary server a restore runs: small memory and no grant checks (the restored data's
     * accounts are not this caller's). Since whoever reaches it is all-powerful, it does not listen on TCP at all
     * ({@code skip_networking}) and its socket lies in {@code runDir}, which is made private (0700) here: only this
     * process's user and the server's account reach it. The port is a free one, reported by the server but unused.
     */
    public static ServerSettings temporaryServer(dev.autopilot.mysql.config.MemberIdentity identity, Path dataDir, Path runDir)
            throws IOException {
        int port;
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
            port = probe.getLocalPort();
        }
        Files.createDirectories(runDir);
        Files.setPosixFilePermissions(runDir, PosixFilePermissions.fromString("rwx------"));
        return ServerSettings.defaults(identity, dataDir, runDir, "127.0.0.1", port)
                .withMemory(64L << 20, 16L << 20).withExtraOptions(Map.of("skip_grant_tables", "ON", "skip_networking", "ON"));
    }

    /** Tools from {@code PATH}. */
    public static PointInTimeRestore of(SnapshotStore store, Restorer restorer, Path workDir) {
        return new PointInTimeRestore(store, restorer, "mariadb-binlog", "mariadb", workDir);
    }

    /**
     * What a restore produced.
     *
     * @param datadir        the restored, stopped data directory
     * @param snapshot       the snapshot it started from
     * @param reached        the GTID position it holds
     * @param binlogsApplied how many archived binlogs were replayed (partly or fully)
     */
    public record Result(Path datadir, SnapshotInfo snapshot, GtidPosition reached, int binlogsApplied) {
    }

    /**
     * Restores to {@code target} into {@code server.dataDir()}, which must be empty or absent.
     *
     * @param server settings for the temporary server (its data directory is the restore target)
     * @throws IOException no snapshot old enough, a gap in the archive, or a tool failed
     */
    public Result restore(RecoveryTarget target, ServerSettings server, Duration deadline) throws IOException, InterruptedException {
        return restore(target, server, deadline, List.of());
    }

    /**
     * As {@link #restore(RecoveryTarget, ServerSettings, Duration)}, then runs {@code finalStatements} on the temporary
     * server before it stops (e.g. resetting root for a new cluster's bootstrap). The statements are not logged.
     */
    public Result restore(RecoveryTarget target, ServerSettings server, Duration deadline, List<String> finalStatements)
            throws IOException, InterruptedException {
        SnapshotInfo snapshot = chooseSnapshot(target);
        log.info("point-in-time restore to {}: starting from snapshot {} (GTID position {}) into {}", describe(target),
                snapshot.id(), snapshot.gtidPosition(), server.dataDir());
        RestoredCopy copy = restorer.restore(new SnapshotSource(store, snapshot), server.dataDir(), ExistingData.REFUSE);
        Files.createDirectories(workDir);
        Path scratch = Files.createTempDirectory(workDir, "pitr-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        LocalServer temporary = new LocalServer(server);
        try {
            ReplicaStart.startServer(temporary, copy, deadline);
            GtidPosition applied = copy.gtidPosition();
            int used = 0;
            for (ArchivedBinlog binlog : replayOrder(BinlogArchiver.list(store))) {
                BinlogSummary range = binlog.range().orElseThrow();
                if (applied.includes(GtidPosition.of(range.lastGtid()))) {
                    continue; // nothing new in it
                }
                if (!startsBeforeTarget(range, target)) {
                    break;
                }
                requireNoGap(applied, range.firstGtid(), binlog);
                replay(binlog, applied, target, server, scratch);
                used++;
                applied = applied.merge(GtidPosition.of(range.lastGtid())).perDomain();
                if (!endsBeforeTarget(range, target)) {
                    break; // the target lies inside this file
                }
            }
            // Replayed transactions carry the primary's server id, so gtid_current_pos would not show them: the copy's
            // position is what the snapshot had plus what the binlogs added. Recorded as gtid_slave_pos, so the copy
            // can replicate from the cluster from exactly there.
            GtidPosition reached = copy.gtidPosition()
                    .merge(GtidPosition.parse(query(server, "SELECT @@gtid_binlog_pos"))).perDomain();
            query(server, "SET GLOBAL gtid_slave_pos = '" + reached.format() + "'");
            if (!finalStatements.isEmpty()) {
                query(server, String.join(";\n", finalStatements));
            }
            log.info("point-in-time restore to {} done in {}: snapshot {} plus {} archived binlog(s), GTID position {}",
                    describe(target), server.dataDir(), snapshot.id(), used, reached);
            return new Result(copy.datadir(), snapshot, reached, used);
        } finally {
            temporary.stop(deadline);
            DataDirectory.delete(scratch);
        }
    }

    private SnapshotInfo chooseSnapshot(RecoveryTarget target) throws IOException {
        for (SnapshotInfo s : new SnapshotCatalog(store).list()) {
            boolean before = switch (target) {
                // The consistent point is at most created + duration: only then is every write in it before the target.
                case RecoveryTarget.AtTime(Instant t) -> !s.created().plus(s.duration()).isAfter(t);
                case RecoveryTarget.AtGtid(GtidPosition g) -> g.includes(s.gtidPosition());
                case RecoveryTarget.Latest() -> true;
            };
            if (before) {
                return s;
            }
        }
        throw new IOException("no complete snapshot in " + store.location() + " was taken before " + describe(target)
                + ": a point-in-time restore needs one; pick a later target");
    }

    /**
     * Per domain by first sequence, then by last (a file overlapping one already replayed is then replayed from
     * where that one ended, so each transaction is applied once whichever primary's archive holds it).
     */
    static List<ArchivedBinlog> replayOrder(List<ArchivedBinlog> all) {
        List<ArchivedBinlog> out = new ArrayList<>(all.stream().filter(b -> b.range().isPresent()).toList());
        out.sort(Comparator.<ArchivedBinlog>comparingLong(b -> b.range().orElseThrow().firstGtid().domainId())
                .thenComparingLong(b -> b.range().orElseThrow().firstGtid().sequence())
                .thenComparingLong(b -> b.range().orElseThrow().lastGtid().sequence())
                .thenComparing(ArchivedBinlog::key));
        return out;
    }

    private static void requireNoGap(GtidPosition applied, Gtid first, ArchivedBinlog binlog) throws IOException {
        long have = applied.sequenceInDomain(first.domainId()).orElse(0L);
        if (first.sequence() > have + 1) {
            throw new IOException("the binlog archive has a gap: the restore reached GTID position " + applied
                    + " but the next archived binlog (" + binlog.key() + ") starts at " + first
                    + "; restore to an earlier target or from a later snapshot");
        }
    }

    private static boolean startsBeforeTarget(BinlogSummary range, RecoveryTarget target) {
        return switch (target) {
            case RecoveryTarget.AtTime(Instant t) -> range.firstTime().isBefore(stopTime(t));
            case RecoveryTarget.AtGtid(GtidPosition g) -> g.includes(GtidPosition.of(range.firstGtid()));
            case RecoveryTarget.Latest() -> true;
        };
    }

    private static boolean endsBeforeTarget(BinlogSummary range, RecoveryTarget target) {
        return switch (target) {
            case RecoveryTarget.AtTime(Instant t) -> range.lastTime().isBefore(stopTime(t));
            case RecoveryTarget.AtGtid(GtidPosition g) -> g.includes(GtidPosition.of(range.lastGtid()));
            case RecoveryTarget.Latest() -> true;
        };
    }

    /** mariadb-binlog stops at the first event stamped at or after this second. */
    static Instant stopTime(Instant t) {
        Instant whole = t.truncatedTo(ChronoUnit.SECONDS);
        return whole.equals(t) ? whole : whole.plusSeconds(1);
    }

    private void replay(ArchivedBinlog binlog, GtidPosition applied, RecoveryTarget target, ServerSettings server, Path scratch)
            throws IOException, InterruptedException {
        Path local = scratch.resolve("replay-" + binlog.serverId() + "-" + binlog.file());
        try (InputStream in = new ZstdInputStream(store.get(binlog.key()))) {
            Files.copy(in, local, StandardCopyOption.REPLACE_EXISTING);
        }
        try {
            List<String> decode = new ArrayList<>(List.of(mariadbBinlog, "--no-defaults"));
            if (!applied.isEmpty()) {
                decode.add("--start-position=" + applied.perDomain().format());
            }
            switch (target) {
                case RecoveryTarget.AtTime(Instant t) -> decode.add("--stop-datetime=" + BINLOG_TIME.format(stopTime(t)));
                case RecoveryTarget.AtGtid(GtidPosition g) -> decode.add("--stop-position=" + g.perDomain().format());
                case RecoveryTarget.Latest() -> { }
            }
            decode.add(local.toString());
            Map<String, List<String>> cmds = new LinkedHashMap<>();
            cmds.put("mariadb-binlog", decode);
            cmds.put("mariadb-replay", List.of(mariadb, "--no-defaults", "-uroot", "--socket=" + server.socket(),
                    "--binary-mode"));
            log.info("replaying archived binlog {} from GTID position {} up to {}", binlog.key(), applied, describe(target));
            try (ToolPipeline replay = ToolPipeline.start(workDir, cmds, Map.of("TZ", "UTC"), line -> { })) {
                replay.output().transferTo(OutputStream.nullOutputStream());
            }
        } finally {
            Files.deleteIfExists(local);
        }
    }

    private String query(ServerSettings server, String sql) throws IOException, InterruptedException {
        Map<String, List<String>> cmd = Map.of("mariadb-query", List.of(mariadb, "--no-defaults", "-uroot",
                "--socket=" + server.socket(), "-N", "-B", "-e", sql));
        try (ToolPipeline q = ToolPipeline.start(workDir, cmd, Map.of(), line -> { })) {
            return new String(q.output().readAllBytes(), StandardCharsets.UTF_8).strip();
        }
    }

    private static String describe(RecoveryTarget target) {
        return target.describe();
    }
}
