package dev.autopilot.backup.snapshot;

import com.github.luben.zstd.ZstdIOException;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import dev.autopilot.backup.restore.ProvisionSource;
import dev.autopilot.backup.restore.ProvisionStream;
import dev.autopilot.storage.SnapshotStore;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.OptionalLong;

/**
 * A snapshot as a {@link ProvisionSource}: the stored object, verified by the store as it is read (a mismatch
 * throws {@link dev.autopilot.storage.CorruptObjectException} before the last bytes), decompressed in this JVM
 * (zstd-jni) on the reading thread; the {@link dev.autopilot.backup.restore.Restorer}'s writer threads overlap
 * with it. A zstd error is reported as a damaged object, so the caller falls back to another snapshot.
 */
public record SnapshotSource(SnapshotStore store, SnapshotInfo snapshot) implements ProvisionSource {

    private static final int READ_BUFFER = 1 << 20;

    @Override
    public ProvisionStream open() throws IOException {
        InputStream raw = store.get(snapshot.dataKey());
        try {
            return new ProvisionStream(new Decompressed(new ZstdInputStreamNoFinalizer(new BufferedInputStream(raw, READ_BUFFER))),
                    OptionalLong.empty(), describe());
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    @Override
    public String describe() {
        return "snapshot " + snapshot.id() + " from " + store.location();
    }

    /** Names the snapshot in a decompression error; the store's own errors pass through unchanged. */
    private final class Decompressed extends FilterInputStream {

        Decompressed(InputStream zstd) {
            super(zstd);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (ZstdIOException e) {
                throw new IOException("snapshot " + snapshot.id() + " (" + snapshot.dataKey() + ") does not decompress: "
                        + e.getMessage() + "; the object is damaged, do not use it", e);
            }
        }
    }
}
