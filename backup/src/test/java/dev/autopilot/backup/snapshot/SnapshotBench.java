package dev.autopilot.backup.snapshot;

import dev.autopilot.backup.restore.ExistingData;
import dev.autopilot.backup.restore.RestoredCopy;
import dev.autopilot.backup.restore.Restorer;
import dev.autopilot.storage.SnapshotStore;
import dev.autopilot.storage.SnapshotStores;
import dev.autopilot.storage.StoreSettings;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * bench/snapshot/run.sh: snapshot throughput (mariabackup | zstd → directory store, with digest and metadata) next
 * to raw {@code tar | zstd} of the same data directory, and restore throughput (store → SHA-256 verify → zstd-jni →
 * {@link dev.autopilot.backup.restore.XbstreamExtractor} → prepare) next to raw {@code zstd -d | tar -x} (medians of
 * alternating runs), with {@code zstd -d | mbstream -x} alone for comparison. Rates are data-directory bytes per second. Arguments: work
 * directory, dataset size in MiB; the server listens on {@code SNAPSHOT_BENCH_ADDRESS} (default 127.0.14.20).
 */
public final class SnapshotBench {

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args.length > 0 ? args[0] : "target/snapshot-bench").toAbsolutePath();
        long targetBytes = (args.length > 1 ? Long.parseLong(args[1]) : 1024L) << 20;
        BackupTestNode.deleteTree(work);
        try (BackupTestNode node = new BackupTestNode(work, "source",
                System.getenv().getOrDefault("SNAPSHOT_BENCH_ADDRESS", "127.0.14.20")).bootstrapPrimary()) {
            node.exec("CREATE DATABASE bench",
                    "CREATE TABLE bench.rows (id BIGINT AUTO_INCREMENT PRIMARY KEY, payload VARCHAR(1000) NOT NULL)");
            Path ibd = node.settings.dataDir().resolve("bench").resolve("rows.ibd");
            // Rows about half random (base64) and half repetitive: compresses about 2x, like typical table data.
            while (Files.size(ibd) < targetBytes) {
                node.exec("SET SESSION sql_log_bin=0",
                        "INSERT INTO bench.rows (payload) SELECT CONCAT(TO_BASE64(RANDOM_BYTES(300)), REPEAT(CHAR(65 + seq % 26), 500))"
                                + " FROM bench.seq_1_to_100000");
            }
            node.exec("SET GLOBAL innodb_max_dirty_pages_pct=0");
            Thread.sleep(3000); // bench only: let the page flush settle so both runs read the same files
            Path datadir = node.settings.dataDir();
            long dataBytes = size(datadir);
            System.out.printf(Locale.ROOT, "dataset: %.0f MB in %s%n", dataBytes / 1e6, datadir);

            new com.github.luben.zstd.ZstdInputStream(java.io.InputStream.nullInputStream()).close(); // load the native library once, as an agent would have
            Path raw = work.resolve("raw.tar.zst");
            sync(work);
            double rawSnap = time("tar -C \"$1\" -cf - . | zstd -q -T0 -3 -c > \"$2\"", datadir, raw);
            Path storeDir = Files.createDirectories(work.resolve("store"));
            try (SnapshotStore store = SnapshotStores.open(new StoreSettings.Directory(storeDir))) {
                sync(work);
                long start = System.nanoTime();
                SnapshotInfo info = new SnapshotWriter(store, Clock.systemUTC()).take(node.backupTarget(work.resolve("work")));
                double snap = (System.nanoTime() - start) / 1e9;
                Restorer restorer = Restorer.withDefaults(); // as the agent restores
                Path stored = storeDir.resolve(info.dataKey());
                // Alternating runs, medians: the disk's write-back makes single runs vary by tens of percent.
                List<Double> raws = new ArrayList<>();
                List<Double> rawsDurable = new ArrayList<>();
                List<Double> restores = new ArrayList<>();
                List<Double> tools = new ArrayList<>();
                RestoredCopy copy = null;
                for (int run = 0; run < RUNS; run++) {
                    raws.add(timeInto(work.resolve("raw-extract"), "zstd -q -d -c \"$1\" | tar -C \"$2\" -xf -", raw));
                    rawsDurable.add(raws.getLast() + time("sync -f \"$2\"", raw, work.resolve("raw-extract")));
                    Path restored = fresh(work.resolve("restored"));
                    start = System.nanoTime();
                    copy = restorer.restore(new SnapshotSource(store, info), restored.resolve("data"), ExistingData.REFUSE);
                    restores.add((System.nanoTime() - start) / 1e9);
                    tools.add(timeInto(work.resolve("tools-extract"), "zstd -q -d -c \"$1\" | mbstream -x -C \"$2\"", stored));
                }
                double rawRestore = median(raws);
                double rawDurable = median(rawsDurable);
                double restore = median(restores);
                double toolsAlone = median(tools);

                System.out.printf(Locale.ROOT, "raw tar | zstd -3:                  %6.1f s  %6.0f MB/s  (%.0f MB compressed)%n",
                        rawSnap, dataBytes / rawSnap / 1e6, Files.size(raw) / 1e6);
                System.out.printf(Locale.ROOT, "snapshot (mariabackup|zstd->store): %6.1f s  %6.0f MB/s  (%.0f MB stored)  ratio %.2f%n",
                        snap, dataBytes / snap / 1e6, info.size() / 1e6, rawSnap / snap);
                System.out.printf(Locale.ROOT, "raw zstd -d | tar -x:               %6.1f s  %6.0f MB/s  (median of %s)%n",
                        rawRestore, dataBytes / rawRestore / 1e6, seconds(raws));
                System.out.printf(Locale.ROOT, "raw zstd -d | tar -x; sync (durable): %6.1f s  %6.0f MB/s  (median of %s)%n",
                        rawDurable, dataBytes / rawDurable / 1e6, seconds(rawsDurable));
                System.out.printf(Locale.ROOT, "restore (store->verify->zstd->extract->prepare->fsync): %6.1f s  %6.0f MB/s  ratio %.2f, %.2f to durable raw  (median of %s; GTID %s)%n",
                        restore, dataBytes / restore / 1e6, rawRestore / restore, rawDurable / restore, seconds(restores), copy.gtidPosition());
                System.out.printf(Locale.ROOT, "for comparison, zstd -d | mbstream -x (no verify, no prepare): %6.1f s  %6.0f MB/s  ratio %.2f  (median of %s)%n",
                        toolsAlone, dataBytes / toolsAlone / 1e6, rawRestore / toolsAlone, seconds(tools));
                System.out.println("target: ratio >= 0.80");
            }
        } finally {
            BackupTestNode.deleteTree(work);
        }
    }

    private static final int RUNS = 3;

    /** Times {@code script} extracting {@code source} into an empty {@code dir}, after writing back what is dirty. */
    private static double timeInto(Path dir, String script, Path source) throws IOException, InterruptedException {
        Path out = fresh(dir);
        return time(script, source, out);
    }

    private static Path fresh(Path dir) throws IOException, InterruptedException {
        BackupTestNode.deleteTree(dir);
        Files.createDirectories(dir);
        sync(dir);
        return dir;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }

    private static String seconds(List<Double> values) {
        return values.stream().map(v -> String.format(Locale.ROOT, "%.1f", v)).collect(java.util.stream.Collectors.joining(", ", "", " s"));
    }

    /** Untimed: write back what the previous phase left dirty, so it does not slow the next one down. */
    private static void sync(Path onFilesystem) throws IOException, InterruptedException {
        time("sync -f \"$1\"", onFilesystem, onFilesystem);
    }

    private static double time(String script, Path first, Path second) throws IOException, InterruptedException {
        long start = System.nanoTime();
        Process p = new ProcessBuilder("bash", "-c", script, "bench", first.toString(), second.toString()).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IOException("'" + script + "' failed with exit code " + p.exitValue());
        }
        return (System.nanoTime() - start) / 1e9;
    }

    private static long size(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }
}
