package dev.autopilot.storage;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * The complete objects among the entries an object store listed, for stores whose listing shows names and sizes but
 * not manifests' content (S3, Manta): a key counts only with both its content and its manifest, its manifest read
 * (a few at once, on virtual threads) and its size matching the content's. Entries that are not keys, or whose
 * manifest is unreadable, are skipped and reported ({@link SkippedObjects}).
 */
public final class ManifestedObjects {

    private static final int READ_CONCURRENCY = 8;

    /** Reads one object's manifest. */
    @FunctionalInterface
    public interface ManifestReader {
        Optional<StoredObject> stat(String key) throws IOException;
    }

    private ManifestedObjects() {
    }

    /**
     * The objects whose key starts with {@code prefix}, sorted by key.
     *
     * @param contentSizes content entries listed: key to size
     * @param manifested   keys whose manifest was listed
     */
    public static List<StoredObject> read(String prefix, Map<String, Long> contentSizes, Collection<String> manifested,
                                          ManifestReader reader, SkippedObjects skipped, String location)
            throws IOException {
        List<StoredObject> out = new ArrayList<>();
        Semaphore permits = new Semaphore(READ_CONCURRENCY);
        try (ExecutorService readers = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("manifest-read-", 1).factory())) {
            List<Future<Optional<StoredObject>>> stats = new ArrayList<>();
            for (String key : manifested) {
                if (!contentSizes.containsKey(key) || !key.startsWith(prefix)) {
                    continue;
                }
                try {
                    ObjectKeys.requireValid(key);
                } catch (IllegalArgumentException invalid) {
                    skipped.skip(key, invalid.getMessage());
                    continue;
                }
                stats.add(readers.submit(() -> {
                    permits.acquire();
                    try {
                        return reader.stat(key);
                    } catch (CorruptObjectException e) {
                        skipped.skip(key, e.getMessage());
                        return Optional.<StoredObject>empty();
                    } finally {
                        permits.release();
                    }
                }));
            }
            for (Future<Optional<StoredObject>> f : stats) {
                f.get().filter(o -> o.size() == contentSizes.get(o.key())).ifPresent(out::add);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while listing " + location);
        } catch (ExecutionException e) {
            switch (e.getCause()) {
                case IOException io -> throw io;
                case RuntimeException r -> throw r;
                default -> throw new IOException(e.getCause());
            }
        }
        out.sort(Comparator.comparing(StoredObject::key));
        return out;
    }
}
