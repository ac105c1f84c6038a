package dev.autopilot.backup.snapshot;

import dev.autopilot.backup.restore.ProvisionSource;
import dev.autopilot.backup.restore.ProvisionStream;
import dev.autopilot.storage.SnapshotStore;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A snapshot as a {@link ProvisionSource}: the stored object, verified by the store as it is read (a mismatch
 * throws {@link dev.autopilot.storage.CorruptObjectException} before the last bytes), decompressed on the fly by
 * {@code zstd -d} (its own process, so download, decompression and unpacking run in parallel). The stream throws
 * the store's or zstd's error instead of ending, so the {@link dev.autopilot.backup.restore.Restorer} fails
 * cleanly and leaves the target as it was.
 *
 * @param zstd the {@code zstd} command
 */
public record SnapshotSource(SnapshotStore store, SnapshotInfo snapshot, String zstd) implements ProvisionSource {

    /** With {@code zstd} from {@code PATH}. */
    public SnapshotSource(SnapshotStore store, SnapshotInfo snapshot) {
        this(store, snapshot, "zstd");
    }

    @Override
    public ProvisionStream open() throws IOException {
        InputStream raw = store.get(snapshot.dataKey());
        ToolPipeline decompress;
        try {
            decompress = ToolPipeline.start(Path.of(System.getProperty("java.io.tmpdir")),
                    Map.of("zstd-restore", List.of(zstd, "-d", "-q", "-c")), Map.of(), line -> { });
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
        AtomicReference<IOException> feedFailure = new AtomicReference<>();
        Thread feeder = Thread.ofVirtual().name("snapshot-feed-" + snapshot.id()).start(() -> {
            try (raw; OutputStream in = decompress.input()) {
                raw.transferTo(in);
            } catch (IOException e) {
                feedFailure.compareAndSet(null, e);
            }
        });
        return new ProvisionStream(new Decompressed(decompress, feeder, feedFailure), OptionalLong.empty(), describe());
    }

    @Override
    public String describe() {
        return "snapshot " + snapshot.id() + " from " + store.location();
    }

    /** zstd's output; at its end (or on its failure) the store's error, if reading the object failed, comes first. */
    private final class Decompressed extends FilterInputStream {
        private final ToolPipeline decompress;
        private final Thread feeder;
        private final AtomicReference<IOException> feedFailure;

        Decompressed(ToolPipeline decompress, Thread feeder, AtomicReference<IOException> feedFailure) {
            super(decompress.output());
            this.decompress = decompress;
            this.feeder = feeder;
            this.feedFailure = feedFailure;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n;
            try {
                n = super.read(b, off, len);
            } catch (IOException e) {
                throw feedFailureOr(new IOException("snapshot " + snapshot.id() + " (" + snapshot.dataKey()
                        + ") does not decompress: " + e.getMessage() + "; the object is damaged, do not use it", e));
            }
            if (n < 0) {
                IOException failed = feedFailureOr(null);
                if (failed != null) {
                    throw failed;
                }
            }
            return n;
        }

        private IOException feedFailureOr(IOException otherwise) throws IOException {
            try {
                feeder.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted reading " + describe());
            }
            IOException fed = feedFailure.get();
            return fed != null ? fed : otherwise;
        }

        @Override
        public void close() throws IOException {
            try {
                super.close();
            } finally {
                decompress.close();
                feeder.interrupt();
            }
        }
    }
}
