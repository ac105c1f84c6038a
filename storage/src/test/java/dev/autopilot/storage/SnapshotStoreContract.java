package dev.autopilot.storage;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every {@link SnapshotStore} backend guarantees, run unchanged against each of them on real storage
 * (a real directory, a real s3proxy). Subclasses provide the store and the backend-specific probes.
 */
public abstract class SnapshotStoreContract {

    protected static final long LARGE = 200L << 20;

    /** The store under test, empty at the start of each test. */
    protected abstract SnapshotStore store();

    /** Changes stored content behind the store's back, keeping its length. */
    protected abstract void corruptContent(String key) throws IOException;

    /** Asserts nothing under {@code key} remains in the backend: no content, no temporary file, no open upload. */
    protected abstract void assertNothingStoredUnder(String key) throws IOException;

    /** Writes {@code content} under {@code name} (not necessarily a valid key) behind the store's back. */
    protected abstract void writeBehindTheStoresBack(String name, byte[] content) throws IOException;

    @Test
    void anInvalidKeyOrACorruptManifestIsSkippedAndTheOtherObjectsAreListed() throws IOException {
        store().put("snapshots/good-1", new ByteArrayInputStream(new byte[] {1}), Map.of());
        store().put("snapshots/good-2", new ByteArrayInputStream(new byte[] {2}), Map.of());
        store().put("snapshots/broken", new ByteArrayInputStream(new byte[] {3}), Map.of());
        writeBehindTheStoresBack("snapshots/broken" + ObjectKeys.MANIFEST_SUFFIX, "{not json".getBytes(StandardCharsets.UTF_8));
        // An entry named by hand, with a manifest copied from a good object: its key breaks the rules.
        writeBehindTheStoresBack("snapshots/copy of good", new byte[] {1});
        writeBehindTheStoresBack("snapshots/copy of good" + ObjectKeys.MANIFEST_SUFFIX,
                Manifest.encode(new StoredObject("snapshots/copy of good", 1, "00".repeat(32), java.time.Instant.now(), Map.of())));

        assertThat(store().list("snapshots/")).extracting(StoredObject::key).containsExactly("snapshots/good-1", "snapshots/good-2");
        assertThat(store().list("")).extracting(StoredObject::key).containsExactly("snapshots/good-1", "snapshots/good-2");
    }

    @Test
    void largeStreamRoundTripsWithMatchingDigestWhileHeapStaysSmall() throws IOException {
        assertThat(Runtime.getRuntime().maxMemory())
                .as("the test JVM heap must be far smaller than the object, or buffering would go unnoticed")
                .isLessThan(LARGE);
        GeneratedStream source = new GeneratedStream(LARGE, 42);
        List<Long> reports = new ArrayList<>();

        StoredObject stored = store().put("snapshots/large.xb", source, Map.of("kind", "full"), reports::add);

        String generated = source.sha256();
        assertThat(stored.size()).isEqualTo(LARGE);
        assertThat(stored.sha256()).isEqualTo(generated);
        assertThat(reports).isSorted().last().isEqualTo(LARGE);
        assertThat(store().stat("snapshots/large.xb")).contains(stored);
        MessageDigest read = Sha256.newDigest();
        long count = 0;
        try (InputStream in = store().get("snapshots/large.xb")) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) != -1; count += n) {
                read.update(buffer, 0, n);
            }
        }
        assertThat(count).isEqualTo(LARGE);
        assertThat(Sha256.hex(read)).isEqualTo(generated);
    }

    @Test
    void smallAndEmptyObjectsRoundTripWithTheirMetadata() throws IOException {
        byte[] content = "binlog.000042 contents".getBytes(StandardCharsets.UTF_8);
        StoredObject small = store().put("binlogs/binlog.000042", new ByteArrayInputStream(content),
                Map.of("gtid", "0-1-42", "server-id", "7"));
        StoredObject empty = store().put("binlogs/empty", InputStream.nullInputStream(), Map.of());

        assertThat(store().stat("binlogs/binlog.000042")).hasValueSatisfying(o -> {
            assertThat(o.metadata()).containsExactlyInAnyOrderEntriesOf(Map.of("gtid", "0-1-42", "server-id", "7"));
            assertThat(o.size()).isEqualTo(content.length);
            assertThat(o.sha256()).isEqualTo(small.sha256());
        });
        try (InputStream in = store().get("binlogs/binlog.000042")) {
            assertThat(in.readAllBytes()).isEqualTo(content);
        }
        try (InputStream in = store().get("binlogs/empty")) {
            assertThat(in.readAllBytes()).isEmpty();
        }
        assertThat(empty.sha256()).isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    @Test
    void corruptedContentIsDetectedOnReadNamingKeyAndDigests() throws IOException {
        StoredObject stored = store().put("snapshots/corrupt.xb", new GeneratedStream(3 << 20, 1), Map.of());
        corruptContent("snapshots/corrupt.xb");

        assertThatThrownBy(() -> {
            try (InputStream in = store().get("snapshots/corrupt.xb")) {
                in.transferTo(OutputStream.nullOutputStream());
            }
        }).isInstanceOfSatisfying(CorruptObjectException.class, e -> {
            assertThat(e.key()).isEqualTo("snapshots/corrupt.xb");
            assertThat(e.expectedSha256()).isEqualTo(stored.sha256());
            assertThat(e.actualSha256()).hasSize(64).isNotEqualTo(stored.sha256());
            assertThat(e.getMessage()).contains("snapshots/corrupt.xb", stored.sha256(), e.actualSha256());
        });
    }

    @Test
    void sourceFailingHalfwayLeavesNoObjectUnderTheKey() throws IOException {
        assertThatThrownBy(() -> store().put("snapshots/broken.xb", new FailingStream(12L << 20), Map.of()))
                .isInstanceOf(IOException.class).hasMessageContaining(FailingStream.MESSAGE);

        assertThat(store().stat("snapshots/broken.xb")).isEmpty();
        assertThat(store().list("")).isEmpty();
        assertThatThrownBy(() -> store().get("snapshots/broken.xb")).isInstanceOf(ObjectNotFoundException.class);
        assertNothingStoredUnder("snapshots/broken.xb");
    }

    @Test
    void failedReplacementKeepsThePreviousObjectIntact() throws IOException {
        byte[] first = "first version".getBytes(StandardCharsets.UTF_8);
        StoredObject previous = store().put("latest", new ByteArrayInputStream(first), Map.of("v", "1"));

        assertThatThrownBy(() -> store().put("latest", new FailingStream(12L << 20), Map.of("v", "2")))
                .isInstanceOf(IOException.class);

        assertThat(store().stat("latest")).contains(previous);
        try (InputStream in = store().get("latest")) {
            assertThat(in.readAllBytes()).isEqualTo(first);
        }
    }

    @Test
    void listFiltersByPrefixInKeyOrderAndDeleteRemovesObjects() throws IOException {
        for (String key : List.of("snapshots/2026-11-25T12:00Z", "binlogs/b.000002", "snapshots/2026-11-24T12:00Z",
                "binlogs/b.000001", "snapshotsX")) {
            store().put(key, new ByteArrayInputStream(key.getBytes(StandardCharsets.UTF_8)), Map.of());
        }

        assertThat(store().list("snapshots/")).extracting(StoredObject::key)
                .containsExactly("snapshots/2026-11-24T12:00Z", "snapshots/2026-11-25T12:00Z");
        assertThat(store().list("snapshots")).extracting(StoredObject::key)
                .containsExactly("snapshots/2026-11-24T12:00Z", "snapshots/2026-11-25T12:00Z", "snapshotsX");
        assertThat(store().list("")).hasSize(5);

        assertThat(store().delete("binlogs/b.000001")).isTrue();
        assertThat(store().delete("binlogs/b.000001")).isFalse();
        assertThat(store().list("binlogs/")).extracting(StoredObject::key).containsExactly("binlogs/b.000002");
        assertThatThrownBy(() -> store().get("binlogs/b.000001")).isInstanceOf(ObjectNotFoundException.class);
        assertNothingStoredUnder("binlogs/b.000001");
    }

    @Test
    void replacingAnObjectServesTheNewContent() throws IOException {
        store().put("latest", new ByteArrayInputStream(new byte[] {1}), Map.of("v", "1"));
        StoredObject second = store().put("latest", new GeneratedStream(11L << 20, 3), Map.of("v", "2"));

        assertThat(store().stat("latest")).contains(second);
        try (InputStream in = store().get("latest")) {
            assertThat(in.transferTo(OutputStream.nullOutputStream())).isEqualTo(second.size());
        }
    }

    @Test
    void invalidKeyIsRejectedBeforeAnythingIsWritten() {
        assertThatThrownBy(() -> store().put("../escape", InputStream.nullInputStream(), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("../escape");
        assertThatThrownBy(() -> store().put("a.manifest.json", InputStream.nullInputStream(), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reserved");
    }
}
