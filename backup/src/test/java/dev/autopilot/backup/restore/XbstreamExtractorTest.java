package dev.autopilot.backup.restore;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.zip.CRC32;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The extractor against streams written by the real {@code mbstream -c} (same writer as mariabackup's), plus
 * hand-made chunks for the damage no real tool writes on purpose. Full mariabackup streams go through it in
 * LiveCloneTest, BackupTest and PointInTimeRestoreTest.
 */
class XbstreamExtractorTest {

    @TempDir
    Path dir;

    @Test
    void unpacksWhatMbstreamPacksByteForByte() throws Exception {
        Path source = Files.createDirectories(dir.resolve("source"));
        Random random = new Random(42);
        List<String> files = List.of("ibdata1", "app/orders.ibd", "app/deep/er/t.frm", "empty", "xtrabackup_binlog_info");
        for (String f : files) {
            Path p = source.resolve(f);
            Files.createDirectories(p.getParent());
            byte[] content = new byte[f.equals("empty") ? 0 : f.equals("ibdata1") ? 5_300_000 : random.nextInt(3_000_000)];
            random.nextBytes(content);
            Files.write(p, content);
        }
        byte[] stream = mbstreamCreate(source, files);

        Path target = Files.createDirectories(dir.resolve("target"));
        AtomicLong reported = new AtomicLong();
        long read = new XbstreamExtractor(target, 2, 4).extract(new ByteArrayInputStream(stream), reported::addAndGet);

        assertThat(read).isEqualTo(stream.length);
        assertThat(reported.get()).as("payload bytes reported as progress").isPositive().isLessThanOrEqualTo(read);
        for (String f : files) {
            assertThat(target.resolve(f)).as(f).hasSameBinaryContentAs(source.resolve(f));
        }
        try (Stream<Path> all = Files.walk(target)) {
            assertThat(all.filter(Files::isRegularFile).count()).isEqualTo(files.size());
        }
        // Table data is for the server's user only, as mariadbd creates it (mbstream did the same).
        for (Path p : List.of(target.resolve("ibdata1"), target.resolve("app/orders.ibd"), target.resolve("app"), target.resolve("app/deep"))) {
            assertThat(Files.getPosixFilePermissions(p)).as(p.toString())
                    .doesNotContain(PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
        }
    }

    @Test
    void interleavedChunksOfSeveralFilesLandAtTheirOffsets() throws Exception {
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        byte[] a = "first half, second half".getBytes(StandardCharsets.UTF_8);
        byte[] b = "other file".getBytes(StandardCharsets.UTF_8);
        payload(s, "a", 0, slice(a, 0, 12));
        payload(s, "db/b", 0, b);
        payload(s, "a", 12, slice(a, 12, a.length));
        end(s, "db/b");
        end(s, "a");

        new XbstreamExtractor(dir, 1, 1).extract(new ByteArrayInputStream(s.toByteArray()), n -> { });

        assertThat(dir.resolve("a")).hasBinaryContent(a);
        assertThat(dir.resolve("db/b")).hasBinaryContent(b);
    }

    @Test
    void aDamagedPayloadFailsItsChecksum() throws Exception {
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        payload(s, "ibdata1", 0, new byte[4096]);
        end(s, "ibdata1");
        byte[] bytes = s.toByteArray();
        bytes[100] ^= 0x01; // inside the payload

        assertThatThrownBy(() -> extract(bytes))
                .isInstanceOf(IOException.class).hasMessageContaining("ibdata1").hasMessageContaining("fails its checksum");
    }

    @Test
    void aStreamCutInsideAChunkOrBeforeAFileEndsIsRefused() throws Exception {
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        payload(s, "ibdata1", 0, new byte[4096]);
        byte[] withoutEnd = s.toByteArray();
        end(s, "ibdata1");
        byte[] whole = s.toByteArray();

        assertThatThrownBy(() -> extract(slice(whole, 0, 2000))).hasMessageContaining("ends inside the payload of ibdata1");
        assertThatThrownBy(() -> extract(slice(whole, 0, whole.length - 3))).hasMessageContaining("ends inside");
        assertThatThrownBy(() -> extract(withoutEnd)).hasMessageContaining("ends before the end of 1 file(s), e.g. ibdata1");
    }

    @Test
    void pathsOutsideTheTargetAreRefusedBeforeAnythingIsWritten() throws Exception {
        for (String evil : List.of("../escaped", "/etc/passwd-copy", "a/../../escaped", "")) {
            ByteArrayOutputStream s = new ByteArrayOutputStream();
            payload(s, evil, 0, new byte[]{1});
            end(s, evil);
            Path target = Files.createDirectories(dir.resolve("t" + evil.hashCode()));
            assertThatThrownBy(() -> new XbstreamExtractor(target, 1, 1).extract(new ByteArrayInputStream(s.toByteArray()), n -> { }))
                    .as(evil).hasMessageContaining("points outside the target directory");
        }
        assertThat(dir.resolve("escaped")).doesNotExist();
        assertThat(dir.getParent().resolve("escaped")).doesNotExist();
    }

    @Test
    void chunksOutOfOrderAndRepeatedFilesAreRefused() throws Exception {
        ByteArrayOutputStream gap = new ByteArrayOutputStream();
        payload(gap, "f", 0, new byte[10]);
        payload(gap, "f", 20, new byte[10]);
        assertThatThrownBy(() -> extract(gap.toByteArray())).hasMessageContaining("file offset 20 arrived where 10 was expected");

        ByteArrayOutputStream twice = new ByteArrayOutputStream();
        payload(twice, "f", 0, new byte[10]);
        end(twice, "f");
        payload(twice, "f", 0, new byte[10]);
        assertThatThrownBy(() -> extract(twice.toByteArray())).hasMessageContaining("f appears again after its end chunk");
    }

    @Test
    void notAnXbstreamAndUnknownChunkTypesAreRefusedButIgnorableOnesSkipped() throws Exception {
        assertThatThrownBy(() -> extract("PK\u0003\u0004 a zip file, not a backup".getBytes(StandardCharsets.ISO_8859_1)))
                .hasMessageContaining("xbstream at byte 0: no chunk magic XBSTCK01");

        ByteArrayOutputStream unknown = new ByteArrayOutputStream();
        chunk(unknown, 0, (byte) 'S', "f", 0, new byte[3]);
        assertThatThrownBy(() -> extract(unknown.toByteArray())).hasMessageContaining("unknown chunk type 0x53 for f");

        ByteArrayOutputStream ignorable = new ByteArrayOutputStream();
        chunk(ignorable, 0x01, (byte) 'Z', "hint", 0, new byte[3]);
        payload(ignorable, "f", 0, new byte[]{7});
        end(ignorable, "f");
        extract(ignorable.toByteArray());
        assertThat(dir.resolve("f")).hasBinaryContent(new byte[]{7});
        assertThat(dir.resolve("hint")).doesNotExist();
    }

    @Test
    void anExistingFileIsNeverOverwritten() throws Exception {
        Files.writeString(dir.resolve("keep"), "mine");
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        payload(s, "keep", 0, new byte[]{1, 2});
        end(s, "keep");

        assertThatThrownBy(() -> new XbstreamExtractor(dir, 1, 1).extract(new ByteArrayInputStream(s.toByteArray()), n -> { }))
                .hasMessageContaining("keep already exists");
        assertThat(dir.resolve("keep")).hasContent("mine");
    }

    @Test
    void aSymbolicLinkAlreadyInTheTargetIsNeverFollowed(@TempDir Path outside) throws Exception {
        Files.createSymbolicLink(dir.resolve("sub"), outside);
        Files.createSymbolicLink(dir.resolve("link"), outside.resolve("planted"));
        for (String path : List.of("sub/x", "sub/deeper/y", "link")) {
            ByteArrayOutputStream s = new ByteArrayOutputStream();
            payload(s, path, 0, new byte[]{1, 2});
            end(s, path);
            assertThatThrownBy(() -> new XbstreamExtractor(dir, 1, 1).extract(new ByteArrayInputStream(s.toByteArray()), n -> { }))
                    .as(path).isInstanceOf(IOException.class);
        }
        try (Stream<Path> written = Files.walk(outside)) {
            assertThat(written.filter(p -> !p.equals(outside))).as("nothing written through the links").isEmpty();
        }
    }

    /** Into {@code dir} itself, which each test starts with empty: the last call's files stay for the assertions. */
    private void extract(byte[] stream) throws IOException, InterruptedException {
        clean();
        new XbstreamExtractor(dir, 2, 2).extract(new ByteArrayInputStream(stream), n -> { });
    }

    private void clean() throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).filter(p -> !p.equals(dir)).toList()) {
                Files.delete(p);
            }
        }
    }

    private static byte[] mbstreamCreate(Path from, List<String> files) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("mbstream", "-c"));
        command.addAll(files);
        Process p = new ProcessBuilder(command).directory(from.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] out;
        try (InputStream in = p.getInputStream()) {
            out = in.readAllBytes();
        }
        assertThat(p.waitFor()).as("mbstream -c exit code").isZero();
        return out;
    }

    private static void payload(ByteArrayOutputStream s, String path, long offset, byte[] data) {
        chunk(s, 0, (byte) 'P', path, offset, data);
    }

    /** An end-of-file chunk: header and path only. */
    private static void end(ByteArrayOutputStream s, String path) {
        header(s, 0, (byte) 'E', path);
    }

    private static void chunk(ByteArrayOutputStream s, int flags, byte type, String path, long offset, byte[] data) {
        header(s, flags, type, path);
        CRC32 crc = new CRC32();
        crc.update(data);
        s.writeBytes(ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(data.length).putLong(offset).putInt((int) crc.getValue()).array());
        s.writeBytes(data);
    }

    private static void header(ByteArrayOutputStream s, int flags, byte type, String path) {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        s.writeBytes("XBSTCK01".getBytes(StandardCharsets.US_ASCII));
        s.write(flags);
        s.write(type);
        s.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(p.length).array());
        s.writeBytes(p);
    }

    private static byte[] slice(byte[] b, int from, int to) {
        return java.util.Arrays.copyOfRange(b, from, to);
    }
}
