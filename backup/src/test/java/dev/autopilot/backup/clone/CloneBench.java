package dev.autopilot.backup.clone;

import dev.autopilot.backup.restore.ExistingData;
import dev.autopilot.backup.restore.RestoredCopy;
import dev.autopilot.backup.restore.Restorer;
import dev.autopilot.mysql.auth.Credentials;
import dev.autopilot.mysql.auth.Secret;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * bench/clone/run.sh: time to provision a copy of a ~1 GB dataset by live clone (donor stream to a
 * prepared joiner datadir) against a raw {@code tar | tar} copy of the same datadir on the same disk.
 * Arguments: work directory, dataset size in MiB.
 */
public final class CloneBench {

    private static final CloneToken TOKEN = CloneToken.of(Secret.of("clone-bench-token-0123456789abcdef"));

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args.length > 0 ? args[0] : "target/clone-bench").toAbsolutePath();
        long targetBytes = (args.length > 1 ? Long.parseLong(args[1]) : 1024L) << 20;
        LiveCloneTest.deleteTree(work);
        TestNode donorNode = new TestNode(work, "donor", "127.0.5.10", 256L << 20, 256L << 20);
        try (donorNode) {
            donorNode.bootstrapPrimary();
            long loadStart = System.nanoTime();
            buildDataset(donorNode, targetBytes);
            Path datadir = donorNode.settings.dataDir();
            System.out.printf(Locale.ROOT, "dataset: %.0f MiB in %s (built in %.0f s)%n", size(datadir) / 1048576.0, datadir,
                    (System.nanoTime() - loadStart) / 1e9);
            donorNode.exec("SET GLOBAL innodb_max_dirty_pages_pct=0");
            waitForCleanPages(donorNode);

            Timing raw1 = rawCopy(datadir, work.resolve("raw-1"));
            System.out.println("raw copy run 1: " + raw1);
            Timing clone = liveClone(donorNode, work);
            System.out.println("live clone: " + clone);
            Timing raw2 = rawCopy(datadir, work.resolve("raw-2"));
            System.out.println("raw copy run 2: " + raw2);
            Timing tools = toolChain(work);
            System.out.println("mariabackup | mbstream + prepare, no network: " + tools);
            Timing raw = raw1.copied() <= raw2.copied() ? raw1 : raw2;
            System.out.printf(Locale.ROOT, "raw copy (tar | tar of the live, idle datadir), best of 2: %s (other run %s)%n", raw, raw1 == raw ? raw2 : raw1);
            System.out.printf(Locale.ROOT, "live clone (donor stream -> joiner prepared datadir):     %s%n", clone);
            System.out.printf(Locale.ROOT, "same tools piped locally (no network, no framing):        %s%n", tools);
            System.out.printf(Locale.ROOT, "ratio clone/raw throughput: %.2f in page cache, %.2f durable (target >= 0.80)%n",
                    clone.rate(clone.copied()) / raw.rate(raw.copied()), clone.rate(clone.durable()) / raw.rate(raw.durable()));
        } finally {
            LiveCloneTest.deleteTree(work);
        }
    }

    private static void buildDataset(TestNode node, long targetBytes) {
        node.exec("CREATE DATABASE bench",
                "CREATE TABLE bench.rows (id BIGINT AUTO_INCREMENT PRIMARY KEY, payload VARCHAR(1000) NOT NULL)");
        Path ibd = node.settings.dataDir().resolve("bench").resolve("rows.ibd");
        while (fileSize(ibd) < targetBytes) {
            // Random 960-character rows in batches of 100,000 (~100 MB), kept out of the binlog: the clone copies data files.
            node.exec("SET SESSION sql_log_bin=0",
                    "INSERT INTO bench.rows (payload) SELECT REPEAT(MD5(RAND()), 30) FROM bench.seq_1_to_100000");
        }
    }

    private static void waitForCleanPages(TestNode node) throws InterruptedException {
        for (int i = 0; i < 600 && Long.parseLong(node.queryString(
                "SELECT variable_value FROM information_schema.global_status WHERE variable_name='INNODB_BUFFER_POOL_PAGES_DIRTY'")) > 0; i++) {
            Thread.sleep(100); // bench only: let the flush finish so both copies read the same files
        }
    }

    /** One copy: bytes in the target, seconds until the copy finished, and until it was on disk (syncfs). */
    record Timing(long bytes, double copied, double durable) {
        double rate(double seconds) {
            return bytes / seconds / 1e6;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%.0f MB in %.1f s = %.0f MB/s; durable after %.1f s = %.0f MB/s",
                    bytes / 1e6, copied, rate(copied), durable, rate(durable));
        }
    }

    private static Timing rawCopy(Path datadir, Path target) throws IOException, InterruptedException {
        Files.createDirectories(target);
        flushDirtyPages(target);
        long start = System.nanoTime();
        run("tar -C \"$1\" -cf - . | tar -C \"$2\" -xf -", datadir, target);
        double copied = (System.nanoTime() - start) / 1e9;
        flushDirtyPages(target);
        Timing t = new Timing(size(target), copied, (System.nanoTime() - start) / 1e9);
        LiveCloneTest.deleteTree(target);
        return t;
    }

    private static Timing liveClone(TestNode donorNode, Path work) throws Exception {
        InetSocketAddress address = new InetSocketAddress("127.0.5.10", 4444);
        DonorSettings settings = new DonorSettings(address, TOKEN, "127.0.5.10", 3306,
                Credentials.of("backup", TestNode.BACKUP_PASSWORD), donorNode.settings.dataDir(), work.resolve("donor-work"),
                "mariabackup", 2, Duration.ofSeconds(5));
        Path target = work.resolve("joiner").resolve("data");
        try (CloneDonor donor = new CloneDonor(settings)) {
            donor.start();
            Restorer restorer = new Restorer("mariabackup", "256M", Duration.ofSeconds(5));
            flushDirtyPages(work);
            long start = System.nanoTime();
            RestoredCopy copy = restorer.restore(LiveCloneSource.of(address, TOKEN), target, ExistingData.REFUSE);
            double copied = (System.nanoTime() - start) / 1e9;
            flushDirtyPages(target);
            System.out.printf(Locale.ROOT, "clone stream: %.0f MB, GTID position %s%n", copy.bytes() / 1e6, copy.gtidPosition());
            return new Timing(size(target), copied, (System.nanoTime() - start) / 1e9);
        }
    }

    /** The clone's tools without the agent in between: the ceiling the framed TCP relay is measured against. */
    private static Timing toolChain(Path work) throws IOException, InterruptedException {
        Path dir = Files.createDirectories(work.resolve("local"));
        Path options = dir.resolve("backup.cnf");
        Files.writeString(options, "[mariabackup]\nuser=backup\npassword=" + TestNode.BACKUP_PASSWORD
                + "\nhost=127.0.5.10\nport=3306\n");
        Path target = Files.createDirectories(dir.resolve("target"));
        Files.createDirectories(dir.resolve("tmp"));
        flushDirtyPages(work);
        long start = System.nanoTime();
        run("mariabackup --defaults-extra-file=\"$1/backup.cnf\" --backup --stream=xbstream --target-dir=\"$1/tmp\" --parallel=2 2>\"$1/backup.log\""
                + " | mbstream -x -C \"$2\" && mariabackup --prepare --target-dir=\"$2\" --use-memory=256M 2>\"$1/prepare.log\"", dir, target);
        double copied = (System.nanoTime() - start) / 1e9;
        flushDirtyPages(target);
        Timing t = new Timing(size(target), copied, (System.nanoTime() - start) / 1e9);
        LiveCloneTest.deleteTree(dir);
        return t;
    }

    /** syncfs of the target's filesystem: untimed before a run (a clean start), timed after it (durability). */
    private static void flushDirtyPages(Path onFilesystem) throws IOException, InterruptedException {
        run("sync -f \"$1\"", onFilesystem, onFilesystem);
    }

    private static void run(String script, Path first, Path second) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("bash", "-c", script, "bench", first.toString(), second.toString()).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IOException("'" + script + "' failed with exit code " + p.exitValue());
        }
    }

    private static long size(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(CloneBench::fileSize).sum();
        }
    }

    private static long fileSize(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }
}
