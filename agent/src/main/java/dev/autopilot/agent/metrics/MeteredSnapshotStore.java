package dev.autopilot.agent.metrics;

import dev.autopilot.storage.ObjectNotFoundException;
import dev.autopilot.storage.ProgressListener;
import dev.autopilot.storage.SnapshotStore;
import dev.autopilot.storage.StoredObject;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A {@link SnapshotStore} whose requests are timed and whose failures are counted, by operation. A {@code put} is timed
 * for the whole upload, a {@code get} until the stream is open; an object that is not there is an answer, not an error.
 */
public final class MeteredSnapshotStore implements SnapshotStore {
    static final List<String> OPERATIONS = List.of("put", "get", "stat", "list", "delete");
    private static final Predicate<Exception> FAILED = e -> !(e instanceof ObjectNotFoundException);

    private final SnapshotStore store;
    private final RequestMeter meter;

    MeteredSnapshotStore(SnapshotStore store, RequestMeter meter) {
        this.store = store;
        this.meter = meter;
    }

    @Override
    public StoredObject put(String key, InputStream data, Map<String, String> metadata, ProgressListener progress) throws IOException {
        return meter.time("put", FAILED, () -> store.put(key, data, metadata, progress));
    }

    @Override
    public InputStream get(String key) throws IOException {
        return meter.time("get", FAILED, () -> store.get(key));
    }

    @Override
    public Optional<StoredObject> stat(String key) throws IOException {
        return meter.time("stat", FAILED, () -> store.stat(key));
    }

    @Override
    public List<StoredObject> list(String prefix) throws IOException {
        return meter.time("list", FAILED, () -> store.list(prefix));
    }

    @Override
    public boolean delete(String key) throws IOException {
        return meter.time("delete", FAILED, () -> store.delete(key));
    }

    @Override
    public String location() {
        return store.location();
    }

    @Override
    public void close() {
        store.close();
    }
}
