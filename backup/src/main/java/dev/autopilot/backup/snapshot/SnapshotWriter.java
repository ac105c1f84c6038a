package dev.autopilot.backup.snapshot;

import dev.autopilot.backup.restore.TransferProgress;
import dev.autopilot.mysql.admin.ConnectionTarget;
import dev.autopilot.mysql.admin.DatabaseAdmin;
import dev.autopilot.mysql.gtid.GtidPosition;
import dev.autopilot.storage.SnapshotStore;
import dev.autopilot.storage.StoredObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Takes a snapshot in one streaming pass: {@code mariabackup --backup --stream=xbstream | zstd} (joined by the
 * OS, no local staging) straight into {@link SnapshotStore#put}, which computes the SHA-256 as it stores. Only
 * when the data object is complete does the small {@code meta.json} go up; a snapshot without it does not exist
 * for {@link SnapshotCatalog}. A failing tool makes the put fail, so the store keeps nothing under the key.
 *
 * <p>The binlog coordinates come from mariabackup's own report ("MySQL binlog position: ...") at the consistent
 * point, which is the only position consistent with the copy.
 */
public final class SnapshotWriter {

    private static final Logger log = LoggerFactory.getLogger(SnapshotWriter.class);
    private static final Pattern BINLOG_POSITION = Pattern.compile(
            "filename '([^']*)', position '([0-9]+)'(?:, GTID of the last change '([^']*)')?");

    private final SnapshotStore store;
    private final Clock clock;

    public SnapshotWriter(SnapshotStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** Where mariabackup stood at the backup's consistent point. */
    public record BinlogPosition(String file, long offset, GtidPosition gtid) {
    }

    /** Parses mariabackup's "MySQL binlog position: filename 'f', position 'p', GTID of the last change 'g'". */
    public static Optional<BinlogPosition> parseBinlogPosition(String stderrLine) {
        if (!stderrLine.contains("binlog position")) {
            return Optional.empty();
        }
        Matcher m = BINLOG_POSITION.matcher(stderrLine);
        if (!m.find()) {
            return Optional.empty();
        }
        String gtid = m.group(3) == null ? "" : m.group(3);
        return Optional.of(new BinlogPosition(m.group(1), Long.parseLong(m.group(2)), GtidPosition.parse(gtid)));
    }

    /**
     * Takes a snapshot of {@code from}. Blocks for the whole backup; call it off the HA loop.
     *
     * @throws IOException the backup or the upload failed (nothing usable is left in the store)
     */
    public SnapshotInfo take(BackupTarget from) throws IOException, InterruptedException {
        Instant started = clock.instant();
        String id = SnapshotCatalog.idFor(started);
        String dataKey = SnapshotCatalog.dataKey(id);
        String version = serverVersion(from);
        Files.createDirectories(from.workDir());
        Path dir = Files.createTempDirectory(from.workDir(), "snapshot-");
        long startNanos = System.nanoTime();
        try {
            Path options = writeOptionsFile(dir, from);
            Path target = Files.createDirectory(dir.resolve("target"));
            AtomicReference<BinlogPosition> position = new AtomicReference<>();
            Map<String, List<String>> commands = new LinkedHashMap<>();
            commands.put("mariabackup-snapshot", List.of(from.mariabackup(), "--defaults-extra-file=" + options, "--backup",
                    "--stream=xbstream", "--target-dir=" + target, "--datadir=" + from.datadir(),
                    "--parallel=" + from.parallel()));
            commands.put("zstd-snapshot", List.of(from.zstd(), "-q", "-c", "-T0", "-" + from.zstdLevel()));
            log.info("snapshot {}: backing up {} ({}) into {} as {}", id, from.member(), from.datadir(), store.location(), dataKey);
            StoredObject data;
            TransferProgress progress = new TransferProgress(log, "snapshot " + id + " uploading", OptionalLong.empty(),
                    from.progressInterval());
            try (ToolPipeline pipeline = ToolPipeline.start(dir, commands, Map.of(),
                    line -> parseBinlogPosition(line).ifPresent(position::set))) {
                AtomicLong reported = new AtomicLong();
                data = store.put(dataKey, pipeline.output(), Map.of("snapshot-id", id, "source", from.member()),
                        stored -> progress.add(stored - reported.getAndSet(stored)));
            }
            BinlogPosition at = position.get();
            if (at == null) {
                deleteQuietly(dataKey);
                throw new IOException("snapshot " + id + ": mariabackup did not report the binlog position (is log_bin on at "
                        + from.member() + "?); the data object was deleted");
            }
            SnapshotInfo info = new SnapshotInfo(id, dataKey, started, from.member(), version, at.gtid(), at.file(),
                    at.offset(), data.size(), data.sha256(), Duration.ofMillis((System.nanoTime() - startNanos) / 1_000_000));
            try {
                store.put(SnapshotCatalog.metaKey(id), new ByteArrayInputStream(SnapshotMeta.encode(info)),
                        Map.of("snapshot-id", id));
            } catch (IOException | RuntimeException e) {
                deleteQuietly(dataKey); // without its metadata the data object is unusable: do not leave it behind
                throw e;
            }
            log.info("snapshot {} complete: {} stored ({}), GTID position {} (binlog {}:{}), sha256 {}", id,
                    progress.summary(), store.location(),
                    at.gtid(), at.file(), at.offset(), data.sha256());
            return info;
        } finally {
            deleteTree(dir);
        }
    }

    private void deleteQuietly(String key) {
        try {
            store.delete(key);
        } catch (IOException | RuntimeException e) {
            log.warn("could not delete {} from {} ({}); it has no metadata, so it is never used", key, store.location(),
                    e.getMessage());
        }
    }

    private static String serverVersion(BackupTarget from) {
        try (DatabaseAdmin admin = new DatabaseAdmin(ConnectionTarget.tcp(from.host(), from.port(), from.backupUser()).withTls(from.tlsCa()))) {
            return admin.queryString("SELECT VERSION()").orElse("unknown");
        } catch (RuntimeException e) {
            log.warn("snapshot: cannot read the server version of {} ({}); recording 'unknown'", from.member(), e.getMessage());
            return "unknown";
        }
    }

    /** mariabackup's connection options, in a file only we can read: passwords never go on a command line. */
    private static Path writeOptionsFile(Path dir, BackupTarget from) throws IOException {
        Path file = dir.resolve("backup.cnf");
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        String text = "[mariabackup]\n"
                + "user=" + quote(from.backupUser().user()) + "\n"
                + "password=" + quote(from.backupUser().password().reveal()) + "\n"
                + "host=" + from.host() + "\n"
                + "port=" + from.port() + "\n"
                + from.tlsCa().map(ca -> "ssl-ca=" + quote(ca.toString()) + "\nssl-verify-server-cert\n").orElse("");
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return file;
    }

    static String quote(String value) {
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    static void deleteTree(Path root) {
        try (var s = Files.walk(root)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | java.io.UncheckedIOException e) {
            log.warn("could not delete work directory {}: {}", root, e.toString());
        }
    }
}
