package dev.autopilot.backup.restore;

import dev.autopilot.backup.tool.ToolProcess;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Turns an xbstream into a ready data directory: unpacked by {@link XbstreamExtractor} into a staging directory
 * next to the target (fed straight from the source, no intermediate file), {@code mariabackup --prepare}, then
 * a move into place, and the GTID position read from the backup's binlog info.
 *
 * <p>Either the target ends up holding a complete, prepared copy, written to disk (fsynced) before it is moved into
 * place, or it is left as it was: any failure (source refused or broken mid-stream, a malformed stream, prepare
 * failing) deletes the staging directory. A non-empty target is refused before the source is opened unless the
 * caller passes {@link ExistingData#DISCARD}; discarded data is deleted only once the new copy is prepared.
 *
 * @param mariabackup      the {@code mariabackup} command
 * @param prepareMemory    {@code --use-memory} for prepare, e.g. {@code 128M}
 * @param progressInterval how often the transfer logs its progress
 * @param progress         told of the progress each time it is logged
 */
public record Restorer(String mariabackup, String prepareMemory, Duration progressInterval, TransferProgress.Listener progress) {

    private static final Logger log = LoggerFactory.getLogger(Restorer.class);
    /** Two writers keep the disk busy while the reading thread decompresses (measured: bench/snapshot). */
    private static final int WRITERS = 2;
    /** 1 MiB each: the unpacked data in flight, off the reading thread. */
    private static final int BUFFERS = 16;

    /** Progress only logged. */
    public Restorer(String mariabackup, String prepareMemory, Duration progressInterval) {
        this(mariabackup, prepareMemory, progressInterval, TransferProgress.Listener.NONE);
    }

    public Restorer {
        Objects.requireNonNull(mariabackup, "mariabackup");
        Objects.requireNonNull(progress, "progress");
        if (!prepareMemory.matches("[0-9]+[KMG]?")) {
            throw new IllegalArgumentException("prepare memory '" + prepareMemory + "' is not a size like 128M");
        }
        if (progressInterval.isNegative() || progressInterval.isZero()) {
            throw new IllegalArgumentException("progress interval " + progressInterval + " must be positive");
        }
    }

    /** The tools from {@code PATH}, 128 MiB for prepare, progress every 5 seconds. */
    public static Restorer withDefaults() {
        return new Restorer("mariabackup", "128M", Duration.ofSeconds(5));
    }

    /** The same restorer, telling {@code listener} of the transfer's progress each time it logs it. */
    public Restorer withProgress(TransferProgress.Listener listener) {
        return new Restorer(mariabackup, prepareMemory, progressInterval, listener);
    }

    /**
     * Restores a copy from {@code source} into {@code datadir}.
     *
     * @throws TargetNotEmptyException datadir holds files and {@code existing} is {@link ExistingData#REFUSE}
     * @throws IOException             the source failed or broke (its exception, e.g. a clone error), or a tool failed
     */
    public RestoredCopy restore(ProvisionSource source, Path datadir, ExistingData existing)
            throws IOException, InterruptedException {
        Path target = datadir.toAbsolutePath().normalize();
        checkTarget(target, existing);
        Path staging = target.resolveSibling(target.getFileName() + ".restoring");
        deleteTree(staging); // a leftover from an attempt that died: it is ours by name
        // Private from the start: it becomes the data directory, and it holds a full copy of the database meanwhile.
        Files.createDirectories(staging.getParent());
        Files.createDirectory(staging, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        long start = System.nanoTime();
        boolean done = false;
        try {
            long bytes = unpack(source, staging);
            prepare(staging);
            BackupBinlogInfo binlog = BackupBinlogInfo.read(staging);
            makeDurable(staging);
            moveIntoPlace(staging, target, existing);
            forceDirectory(target);
            forceDirectory(target.getParent());
            done = true;
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            log.info("restored {} into {} in {} s: GTID position {} (donor binlog {}:{}); next: start the server and replicate",
                    source.describe(), target, elapsed.toSeconds(), binlog.gtidPosition(), binlog.binlogFile(), binlog.binlogOffset());
            return new RestoredCopy(target, binlog, bytes, elapsed);
        } finally {
            if (!done) {
                log.warn("restore from {} into {} failed; deleting the staging directory {} (the target is unchanged)",
                        source.describe(), target, staging);
                deleteTree(staging);
            }
        }
    }

    private long unpack(ProvisionSource source, Path staging) throws IOException, InterruptedException {
        try (ProvisionStream stream = source.open()) {
            log.info("receiving {} into {}", stream.origin(), staging);
            TransferProgress transfer = new TransferProgress(log, "receiving " + stream.origin(),
                    stream.expectedBytes(), progressInterval, progress);
            // The source's own exceptions (corrupt object, clone error) pass unchanged: callers act on their type.
            new XbstreamExtractor(staging, WRITERS, BUFFERS).extract(stream.xbstream(), transfer::add);
            log.info("received {}: {}; next: prepare", stream.origin(), transfer.summary());
            return transfer.bytes();
        }
    }

    private void prepare(Path staging) throws IOException, InterruptedException {
        try (ToolProcess prep = ToolProcess.start("mariabackup-prepare", List.of(mariabackup, "--prepare",
                "--target-dir=" + staging, "--use-memory=" + prepareMemory), staging, false)) {
            int code = prep.waitFor();
            if (code != 0) {
                throw new IOException("preparing the copy in " + staging + " failed: " + prep.failure(code));
            }
        }
    }

    private static void checkTarget(Path target, ExistingData existing) throws IOException {
        Optional<Path> example = firstEntry(target);
        if (example.isPresent() && existing == ExistingData.REFUSE) {
            throw new TargetNotEmptyException(target, example.get().getFileName().toString());
        }
        if (Files.exists(target) && !Files.isDirectory(target)) {
            throw new IOException("restore target " + target + " exists and is not a directory");
        }
    }

    /**
     * Writes the prepared copy to disk before it is moved into place: the move is what makes the member "provisioned",
     * and a host that loses power just after must not come back with a data directory whose pages never left the
     * page cache. Cheap where the kernel has written most of it back already.
     */
    private static void makeDurable(Path staging) throws IOException {
        long start = System.nanoTime();
        List<Path> entries;
        try (Stream<Path> all = Files.walk(staging)) {
            entries = all.toList();
        }
        int files = 0;
        for (Path p : entries) {
            if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                try (FileChannel c = FileChannel.open(p, StandardOpenOption.READ)) {
                    c.force(true);
                }
                files++;
            } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                forceDirectory(p);
            }
        }
        log.info("wrote the copy in {} to disk ({} files fsynced in {} ms); next: move it into place", staging, files,
                (System.nanoTime() - start) / 1_000_000);
    }

    private static void forceDirectory(Path dir) throws IOException {
        try (FileChannel c = FileChannel.open(dir, StandardOpenOption.READ)) {
            c.force(true);
        }
    }

    private static void moveIntoPlace(Path staging, Path target, ExistingData existing) throws IOException {
        if (!Files.exists(target)) {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            return;
        }
        // The target directory stays (it may be a mount point or carry ownership); its content is replaced.
        checkTarget(target, existing);
        try (DirectoryStream<Path> old = Files.newDirectoryStream(target)) {
            for (Path p : old) {
                log.warn("discarding {} from {} as the caller asked", p.getFileName(), target);
                deleteTree(p);
            }
        }
        try (DirectoryStream<Path> fresh = Files.newDirectoryStream(staging)) {
            for (Path p : fresh) {
                Files.move(p, target.resolve(p.getFileName()), StandardCopyOption.ATOMIC_MOVE);
            }
        }
        Files.delete(staging);
    }

    private static Optional<Path> firstEntry(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.findFirst();
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
