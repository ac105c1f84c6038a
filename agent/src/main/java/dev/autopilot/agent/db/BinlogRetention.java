package dev.autopilot.agent.db;

import dev.autopilot.mysql.admin.DatabaseAdmin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this member's binlogs from filling its disk: closed binlogs last written more than {@code mysql.binlogRetention}
 * ago are purged, oldest first. A primary that archives its binlogs purges only files the archive already holds, so an
 * object-store outage longer than the retention costs disk, never a gap in point-in-time recovery. The server itself
 * never purges a binlog a connected replica is still reading; a replica away for longer than the retention finds its
 * position purged and is rebuilt (see {@code HaCycle}).
 */
public final class BinlogRetention implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BinlogRetention.class);

    /** The binlogs of this server that the archive holds (the object store's listing). */
    @FunctionalInterface
    public interface Archive {
        Set<String> archivedFiles() throws IOException, InterruptedException;
    }

    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9._-]+");

    private final Duration retention;
    private final Path binlogDir;
    private final BooleanSupplier archiving;
    private final Optional<Archive> archive;
    private final Clock clock;
    private volatile Thread job;

    /**
     * @param binlogDir where the server writes its binlogs
     * @param archiving whether this member archives its binlogs right now (the primary, with backups configured)
     * @param archive   what the archive holds, when backups are configured
     */
    public BinlogRetention(Duration retention, Path binlogDir, BooleanSupplier archiving, Optional<Archive> archive, Clock clock) {
        if (retention.isNegative() || retention.isZero()) {
            throw new IllegalArgumentException("binlog retention " + retention + " must be positive");
        }
        this.retention = retention;
        this.binlogDir = binlogDir;
        this.archiving = archiving;
        this.archive = archive;
        this.clock = clock;
    }

    /** How often to run {@link #purge}: a quarter of the retention, between 1 s and 1 min. */
    public Duration interval() {
        Duration quarter = retention.dividedBy(4);
        return quarter.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1)
                : quarter.compareTo(Duration.ofMinutes(1)) > 0 ? Duration.ofMinutes(1) : quarter;
    }

    /**
     * Runs {@link #purge} every {@link #interval()} on a virtual thread, skipping passes while {@code paused} (e.g. a
     * rebuild). Purges are logged; a failing pass is logged once per change of its error and retried next interval.
     */
    public void start(String member, Supplier<DatabaseAdmin> admin, BooleanSupplier paused) {
        job = Thread.ofVirtual().name("binlog-retention-" + member).start(() -> {
            String lastProblem = "";
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(interval());
                } catch (InterruptedException e) {
                    return;
                }
                if (paused.getAsBoolean()) {
                    continue;
                }
                String problem = "";
                try {
                    List<String> purged = purge(admin.get());
                    if (!purged.isEmpty()) {
                        LOG.info("{}: purged {} binlog(s) last written over {} s ago ({}{}); next check in {} s", member,
                                purged.size(), retention.toSeconds(), purged.getFirst(),
                                purged.size() > 1 ? " .. " + purged.getLast() : "", interval().toSeconds());
                    }
                } catch (InterruptedException e) {
                    return;
                } catch (IOException | RuntimeException e) {
                    problem = e.getMessage() == null ? e.toString() : e.getMessage();
                }
                if (!problem.equals(lastProblem)) {
                    if (problem.isEmpty()) {
                        LOG.info("{}: binlog retention working again", member);
                    } else {
                        LOG.warn("{}: binlog retention pass failed: {}; nothing purged, retrying every {} s", member, problem,
                                interval().toSeconds());
                    }
                    lastProblem = problem;
                }
            }
        });
    }

    @Override
    public void close() {
        Thread t = job;
        if (t != null) {
            t.interrupt();
        }
    }

    /**
     * One pass on the server behind {@code admin}.
     *
     * @return the binlogs purged, oldest first (empty when none was due)
     * @throws IOException the archive could not be listed (then nothing is purged)
     */
    public List<String> purge(DatabaseAdmin admin) throws IOException, InterruptedException {
        List<Map<String, String>> logs = admin.queryRows("SHOW BINARY LOGS");
        Instant cutoff = clock.instant().minus(retention);
        Set<String> archived = archiving.getAsBoolean() && archive.isPresent() ? archive.get().archivedFiles() : null;
        int due = 0;
        for (Map<String, String> row : logs.subList(0, Math.max(0, logs.size() - 1))) { // never the one being written
            String file = row.get("Log_name");
            Path path = binlogDir.resolve(file);
            if (!FILE_NAME.matcher(file).matches() || !Files.exists(path)
                    || !Files.getLastModifiedTime(path).toInstant().isBefore(cutoff)
                    || (archived != null && !archived.contains(file))) {
                break; // only a prefix: PURGE BINARY LOGS TO removes everything before the named file
            }
            due++;
        }
        if (due == 0) {
            return List.of();
        }
        admin.execute("PURGE BINARY LOGS TO '" + logs.get(due).get("Log_name") + "'");
        // The server keeps a file a connected replica still reads: report what is really gone.
        Set<String> left = admin.queryRows("SHOW BINARY LOGS").stream().map(r -> r.get("Log_name")).collect(Collectors.toSet());
        return logs.subList(0, due).stream().map(r -> r.get("Log_name")).filter(f -> !left.contains(f)).toList();
    }
}
