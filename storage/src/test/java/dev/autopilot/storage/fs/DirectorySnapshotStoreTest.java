package dev.autopilot.storage.fs;

import dev.autopilot.storage.SnapshotStore;
import dev.autopilot.storage.SnapshotStoreContract;
import dev.autopilot.storage.SnapshotStores;
import dev.autopilot.storage.StoreSettings;
import dev.autopilot.storage.StoreUnavailableException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The directory backend on a real filesystem. */
class DirectorySnapshotStoreTest extends SnapshotStoreContract {

    @TempDir
    Path root;
    private SnapshotStore store;

    @BeforeEach
    void open() {
        store = SnapshotStores.open(new StoreSettings.Directory(root));
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Override
    protected SnapshotStore store() {
        return store;
    }

    @Override
    protected void corruptContent(String key) throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(root.resolve(key).toFile(), "rw")) {
            long middle = file.length() / 2;
            file.seek(middle);
            int b = file.read();
            file.seek(middle);
            file.write(b ^ 0x01);
        }
    }

    @Override
    protected void assertNothingStoredUnder(String key) throws IOException {
        String name = Path.of(key).getFileName().toString();
        try (Stream<Path> files = Files.walk(root)) {
            assertThat(files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
                    .as("no content, manifest or temporary file for %s", key)
                    .noneMatch(n -> n.contains(name));
        }
    }

    @Override
    protected void writeBehindTheStoresBack(String name, byte[] content) throws IOException {
        Files.write(root.resolve(name), content);
    }

    @Test
    void objectsAndTheirDirectoriesAreNotReadableByOtherUsers() throws IOException {
        store.put("snapshots/2026/s1", new ByteArrayInputStream(new byte[] {1, 2, 3}), Map.of());

        for (Path p : List.of(root.resolve("snapshots/2026/s1"), root.resolve("snapshots/2026/s1.manifest.json"))) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p))).as(p.toString()).isEqualTo("rw-r-----");
        }
        for (Path p : List.of(root.resolve("snapshots"), root.resolve("snapshots/2026"))) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p))).as(p.toString()).isEqualTo("rwxr-x---");
        }
    }

    @Test
    void objectsAreFilesWithManifestSidecars() throws IOException {
        store.put("snapshots/s1", new ByteArrayInputStream(new byte[] {1, 2, 3}), Map.of("k", "v"));

        assertThat(root.resolve("snapshots/s1")).hasBinaryContent(new byte[] {1, 2, 3});
        assertThat(root.resolve("snapshots/s1.manifest.json")).content()
                .contains("\"sha256\":\"039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81\"")
                .contains("\"metadata\":{\"k\":\"v\"}");
    }

    @Test
    void missingDirectoryIsReportedAsUnavailableStore() throws IOException {
        Path gone = root.resolve("unmounted");
        try (SnapshotStore unmounted = SnapshotStores.open(new StoreSettings.Directory(gone))) {
            assertThatThrownBy(() -> unmounted.put("k", new ByteArrayInputStream(new byte[1]), Map.of()))
                    .isInstanceOf(StoreUnavailableException.class).hasMessageContaining(gone.toString());
            assertThatThrownBy(() -> unmounted.list("")).isInstanceOf(StoreUnavailableException.class);
            assertThat(gone).doesNotExist();
        }
    }
}
