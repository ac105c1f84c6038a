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
import java.time.Duration;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * bench/snapshot/run.sh: snapshot throughput (mariabackup | zstd → directory store, with digest and metadata) next
 * to raw {@code tar | zstd} of the same data directory, and restore throughput (store → zstd -d → mbstream →
 * prepare) next to raw {@code zstd -d | tar -x}. Rates are data-directory bytes per second. Arguments: work
 * directory, dataset size in MiB.
 */
public final class SnapshotBench {

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args.length > 0 ? args[0] : "target/snapshot-bench").toAbsolutePath();
        long targetBytes = (args.length > 1 ? Long.parseLong(args[1]) : 1024L) << 20;
        BackupTestNode.deleteTree(work);
        try (BackupTestNode node = new BackupTestNode(work, "source", "127.0.14.20").bootstrapPrimary()) {
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
            Path rawOut = Files.createDirectories(work.resolve("raw-extract"));
            sync(work);
            double rawRestore = time("zstd -q -d -c \"$1\" | tar -C \"$2\" -xf -", raw, rawOut);

            Path storeDir = Files.createDirectories(work.resolve("store"));
            try (SnapshotStore store = SnapshotStores.open(new StoreSettings.Directory(storeDir))) {
                sync(work);
                long start = System.nanoTime();
                SnapshotInfo info = new SnapshotWriter(store, Clock.systemUTC()).take(node.backupTarget(work.resolve("work")));
                double snap = (System.nanoTime() - start) / 1e9;
                Restorer restorer = new Restorer("mariabackup", "mbstream", "256M", Duration.ofSeconds(5));
                sync(work);
                start = System.nanoTime();
                RestoredCopy copy = restorer.restore(new SnapshotSource(store, info), work.resolve("restored/data"), ExistingData.REFUSE);
                double restore = (System.nanoTime() - start) / 1e9;
                Path toolsOut = Files.createDirectories(work.resolve("tools-extract"));
                sync(work);
                double tools = time("zstd -q -d -c \"$1\" | mbstream -x -C \"$2\"", storeDir.resolve(info.dataKey()), toolsOut);
                Path parallelOut = Files.createDirectories(work.resolve("tools-extract-parallel"));
                sync(work);
                double toolsParallel = time("zstd -q -d -c \"$1\" | mbstream -x -p 4 -C \"$2\"", storeDir.resolve(info.dataKey()), parallelOut);

                System.out.printf(Locale.ROOT, "raw tar | zstd -3:                 %6.1f s  %6.0f MB/s  (%.0f MB compressed)%n",
                        rawSnap, dataBytes / rawSnap / 1e6, Files.size(raw) / 1e6);
                System.out.printf(Locale.ROOT, "snapshot (mariabackup|zstd->store): %6.1f s  %6.0f MB/s  (%.0f MB stored)  ratio %.2f%n",
                        snap, dataBytes / snap / 1e6, info.size() / 1e6, rawSnap / snap);
                System.out.printf(Locale.ROOT, "raw zstd -d | tar -x:              %6.1f s  %6.0f MB/s%n", rawRestore, dataBytes / rawRestore / 1e6);
                System.out.printf(Locale.ROOT, "restore (store->zstd->mbstream+prepare): %6.1f s  %6.0f MB/s  ratio %.2f (GTID %s)%n",
                        restore, dataBytes / restore / 1e6, rawRestore / restore, copy.gtidPosition());
                System.out.printf(Locale.ROOT, "tools alone, zstd -d | mbstream -x (no verify, no prepare): %6.1f s  %6.0f MB/s  ratio %.2f%n",
                        tools, dataBytes / tools / 1e6, rawRestore / tools);
                System.out.printf(Locale.ROOT, "tools alone, zstd -d | mbstream -x -p 4:                    %6.1f s  %6.0f MB/s  ratio %.2f%n",
                        toolsParallel, dataBytes / toolsParallel / 1e6, rawRestore / toolsParallel);
                System.out.println("target: ratio >= 0.80");
            }
        } finally {
            BackupTestNode.deleteTree(work);
        }
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
