package dev.autopilot.backup.binlog;

import dev.autopilot.backup.snapshot.ToolPipeline;
import dev.autopilot.mysql.admin.DatabaseAdmin;
import dev.autopilot.storage.SnapshotStore;
import dev.autopilot.storage.StoredObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Archives the primary's closed binlogs: every file {@code SHOW BINARY LOGS} lists except the last (the one being
 * written) that is not in the store yet goes up compressed under {@code binlogs/<server_id>/<file>.zst}, with
 * the first/last GTID and event time as metadata. Re-running uploads nothing twice. When the current binlog has
 * had writes for longer than {@code archiveInterval}, {@code FLUSH BINARY LOGS} closes it so it is archived now:
 * that bounds the recovery point.
 *
 * <p>Not thread-safe: one archiver per primary, called from one scheduled job. A new primary after a failover
 * archives its own binlogs (which, with {@code log_slave_updates}, hold everything it replicated), so the
 * archive has no gap; transactions present twice carry the same GTID and replay skips them by GTID.
 */
public final class BinlogArchiver {

    private static final Logger log = LoggerFactory.getLogger(BinlogArchiver.class);

    private final SnapshotStore store;
    private final Path binlogDir;
    private final Duration archiveInterval;
    private final String mariadbBinlog;
    private final String zstd;
    private final Path workDir;
    private final Clock clock;
    private Current current;

    private record Current(String file, long size, Instant since) {
    }

    /**
     * @param binlogDir       where the server writes its binlogs (the data directory with autopilot's config)
     * @param archiveInterval longest time a written binlog stays open before it is rotated and archived
     */
    public BinlogArchiver(SnapshotStore store, Path binlogDir, Duration archiveInterval, String mariadbBinlog,
                          String zstd, Path workDir, Clock clock) {
        if (archiveInterval.isNegative() || archiveInterval.isZero()) {
            throw new IllegalArgumentException("binlog archive interval " + archiveInterval + " must be positive");
        }
        this.store = store;
        this.binlogDir = binlogDir;
        this.archiveInterval = archiveInterval;
        this.mariadbBinlog = mariadbBinlog;
        this.zstd = zstd;
        this.workDir = workDir;
        this.clock = clock;
    }

    /** With tools from {@code PATH} and the system clock. */
    public static BinlogArchiver of(SnapshotStore store, Path binlogDir, Duration archiveInterval, Path workDir) {
        return new BinlogArchiver(store, binlogDir, archiveInterval, "mariadb-binlog", "zstd", workDir, Clock.systemUTC());
    }

    /**
     * One archive pass on the primary behind {@code admin}: rotate if the current binlog is overdue, then upload
     * every closed binlog not archived yet.
     *
     * @return what this pass uploaded (empty when everything was archived already)
     * @throws IOException a tool or the upload failed; the next pass retries what is missing
     */
    public List<ArchivedBinlog> archive(DatabaseAdmin admin) throws IOException, InterruptedException {
        long serverId = admin.queryLong("SELECT @@server_id");
        List<Map<String, String>> logs = admin.queryRows("SHOW BINARY LOGS");
        if (logs.isEmpty()) {
            throw new IOException("server " + admin.target() + " has no binary logs: enable log_bin to archive them");
        }
        if (rotateIfOverdue(admin, logs.getLast())) {
            logs = admin.queryRows("SHOW BINARY LOGS");
        }
        Set<String> archived = new HashSet<>();
        for (StoredObject o : store.list(ArchivedBinlog.PREFIX + serverId + "/")) {
            archived.add(o.key());
        }
        List<ArchivedBinlog> uploaded = new ArrayList<>();
        for (Map<String, String> row : logs.subList(0, logs.size() - 1)) {
            String file = row.get("Log_name");
            String key = ArchivedBinlog.keyFor(serverId, file, createdAt(binlogDir.resolve(file)));
            if (!archived.contains(key)) {
                uploaded.add(upload(serverId, file, key));
            }
        }
        return uploaded;
    }

    /**
     * The binlogs of the server behind {@code admin} that the archive holds, by file name (what binlog retention may
     * purge on a primary).
     */
    public Set<String> archivedFiles(DatabaseAdmin admin) throws IOException {
        long serverId = admin.queryLong("SELECT @@server_id");
        Set<String> keys = new HashSet<>();
        for (StoredObject o : store.list(ArchivedBinlog.PREFIX + serverId + "/")) {
            keys.add(o.key());
        }
        Set<String> files = new HashSet<>();
        for (Map<String, String> row : admin.queryRows("SHOW BINARY LOGS")) {
            String file = row.get("Log_name");
            if (keys.contains(ArchivedBinlog.keyFor(serverId, file, createdAt(binlogDir.resolve(file))))) {
                files.add(file);
            }
        }
        return files;
    }

    /** Everything in the archive, from every server. */
    public static List<ArchivedBinlog> list(SnapshotStore store) throws IOException {
        List<ArchivedBinlog> out = new ArrayList<>();
        for (StoredObject o : store.list(ArchivedBinlog.PREFIX)) {
            ArchivedBinlog.from(o).ifPresent(out::add);
        }
        return out;
    }

    private boolean rotateIfOverdue(DatabaseAdmin admin, Map<String, String> last) {
        String file = last.get("Log_name");
        long size = Long.parseLong(last.get("File_size"));
        Instant now = clock.instant();
        if (current == null || !current.file().equals(file)) {
            current = new Current(file, size, now);
            return false;
        }
        if (size > current.size() && !now.isBefore(current.since().plus(archiveInterval))) {
            admin.execute("FLUSH BINARY LOGS");
            log.info("rotated binlog {} on {}: it has had writes for {} s, the archive interval; next: archive it",
                    file, admin.target(), Duration.between(current.since(), now).toSeconds());
            current = null;
            return true;
        }
        return false;
    }

    private ArchivedBinlog upload(long serverId, String file, String key) throws IOException, InterruptedException {
        Path path = binlogDir.resolve(file);
        if (!Files.isRegularFile(path)) {
            throw new IOException("binlog " + file + " of server " + serverId + " is not in " + binlogDir
                    + " (purged before it was archived?): the archive has a gap from here; take a snapshot");
        }
        Optional<BinlogSummary> range = summarize(path);
        Files.createDirectories(workDir);
        ArchivedBinlog pending = new ArchivedBinlog(key, serverId, file, range, 0, clock.instant());
        StoredObject stored;
        try (ToolPipeline compress = ToolPipeline.start(workDir,
                Map.of("zstd-binlog", List.of(zstd, "-q", "-c", path.toString())), Map.of(), line -> { })) {
            stored = store.put(key, compress.output(), pending.metadata());
        }
        ArchivedBinlog done = ArchivedBinlog.from(stored).orElseThrow();
        log.info("archived binlog {} of server {} to {} ({} bytes, {})", file, serverId, store.location(), stored.size(),
                range.map(r -> "GTIDs " + r.firstGtid() + ".." + r.lastGtid()).orElse("no transactions"));
        return done;
    }

    /**
     * When the server created {@code binlog}: the timestamp of its first event (the format description), read from
     * the file's first bytes — a 4-byte magic number, then the event header, whose first field is a little-endian
     * 32-bit Unix time. Read by hand: a process per file and pass to get one number would be wasteful.
     */
    static Instant createdAt(Path binlog) throws IOException {
        if (!Files.isRegularFile(binlog)) {
            throw new IOException("binlog " + binlog.getFileName() + " is not in " + binlog.getParent()
                    + " (purged before it was archived?): the archive has a gap from here; take a snapshot");
        }
        byte[] head = new byte[8];
        try (InputStream in = Files.newInputStream(binlog)) {
            if (in.readNBytes(head, 0, 8) < 8 || (head[0] & 0xff) != 0xfe || head[1] != 'b' || head[2] != 'i' || head[3] != 'n') {
                throw new IOException(binlog + " is not a binlog file (no binlog magic number at its start)");
            }
        }
        long seconds = java.nio.ByteBuffer.wrap(head, 4, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
        return Instant.ofEpochSecond(seconds);
    }

    /** First/last transaction of a binlog file, read with {@code mariadb-binlog} in UTC. */
    Optional<BinlogSummary> summarize(Path binlog) throws IOException, InterruptedException {
        Map<String, List<String>> cmd = new LinkedHashMap<>();
        cmd.put("mariadb-binlog", List.of(mariadbBinlog, "--no-defaults", binlog.toString()));
        BinlogSummary.Reader reader = new BinlogSummary.Reader();
        try (ToolPipeline scan = ToolPipeline.start(workDir, cmd, Map.of("TZ", "UTC"), line -> { });
             BufferedReader r = new BufferedReader(new InputStreamReader(scan.output(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                reader.accept(line);
            }
        }
        return reader.summary();
    }
}
