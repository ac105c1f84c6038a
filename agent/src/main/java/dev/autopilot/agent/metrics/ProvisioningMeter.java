package dev.autopilot.agent.metrics;

import dev.autopilot.backup.restore.ProvisionSource;
import dev.autopilot.backup.restore.ProvisionStream;
import dev.autopilot.storage.ProgressListener;
import dev.autopilot.storage.SnapshotStore;
import dev.autopilot.storage.StoredObject;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts the bytes of the copies (live clone or snapshot) this member receives: {@code autopilot_provisioning_in_progress},
 * {@code autopilot_provisioning_received_bytes_total} (its rate is the transfer rate) and {@code
 * autopilot_provisioning_expected_bytes}. Counted where the bytes are read, on the copying thread.
 */
public final class ProvisioningMeter {
    private final Counter received;
    private final AtomicInteger copying = new AtomicInteger();
    private volatile double expectedBytes = Double.NaN;

    ProvisioningMeter(MeterRegistry registry) {
        received = Counter.builder("autopilot_provisioning_received_bytes")
                .description("bytes of copies this member received while being provisioned").register(registry);
        Gauge.builder("autopilot_provisioning_in_progress", copying, c -> c.get() > 0 ? 1 : 0)
                .description("1 while this member is being provisioned (copy, prepare, start)").register(registry);
        Gauge.builder("autopilot_provisioning_expected_bytes", this, m -> m.expectedBytes)
                .description("size the source announced for the copy being received (NaN when unknown)").register(registry);
    }

    /** A provisioning under way, until closed. */
    public interface Copying extends AutoCloseable {
        @Override
        void close();
    }

    /** Marks a provisioning from now until the returned handle is closed. */
    public Copying copying() {
        copying.incrementAndGet();
        return () -> {
            copying.decrementAndGet();
            expectedBytes = Double.NaN;
        };
    }

    /** {@code source} with its stream's bytes counted. */
    public ProvisionSource counted(ProvisionSource source) {
        return new ProvisionSource() {
            @Override
            public ProvisionStream open() throws IOException {
                ProvisionStream stream = source.open();
                expectedBytes = stream.expectedBytes().isPresent() ? stream.expectedBytes().getAsLong() : Double.NaN;
                return new ProvisionStream(counting(stream.xbstream()), stream.expectedBytes(), stream.origin());
            }

            @Override
            public String describe() {
                return source.describe();
            }
        };
    }

    /** {@code store} with the bytes read from it counted (a snapshot being restored). */
    public SnapshotStore counted(SnapshotStore store) {
        return new SnapshotStore() {
            @Override
            public StoredObject put(String key, InputStream data, Map<String, String> metadata, ProgressListener progress)
                    throws IOException {
                return store.put(key, data, metadata, progress);
            }

            @Override
            public InputStream get(String key) throws IOException {
                return counting(store.get(key));
            }

            @Override
            public Optional<StoredObject> stat(String key) throws IOException {
                return store.stat(key);
            }

            @Override
            public List<StoredObject> list(String prefix) throws IOException {
                return store.list(prefix);
            }

            @Override
            public boolean delete(String key) throws IOException {
                return store.delete(key);
            }

            @Override
            public String location() {
                return store.location();
            }

            @Override
            public void close() {
                store.close();
            }
        };
    }

    private InputStream counting(InputStream in) {
        return new FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    received.increment();
                }
                return b;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                int n = super.read(buffer, offset, length);
                if (n > 0) {
                    received.increment(n);
                }
                return n;
            }
        };
    }
}
