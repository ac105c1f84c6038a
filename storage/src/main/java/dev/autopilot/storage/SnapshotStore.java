package dev.autopilot.storage;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An object store for snapshots and archived binlogs: named objects written and read as streams, each stored with
 * its size, SHA-256 and caller metadata.
 *
 * <p>Guarantees of every implementation:
 * <ul>
 *   <li>Streaming: {@link #put} and {@link #get} hold at most a few bounded buffers (S3: {@code (concurrency + 1)}
 *       parts) in memory and never stage the object on local disk.</li>
 *   <li>Atomic visibility: an object is visible to {@link #stat}, {@link #list} and {@link #get} only once it is
 *       complete with its digest. A failed or interrupted {@code put} leaves nothing usable under the key
 *       (replacing an existing key first makes the old object invisible).</li>
 *   <li>Verified reads: the stream from {@link #get} checks the size and SHA-256 before it delivers the last
 *       bytes and throws {@link CorruptObjectException} instead of a wrong end of stream.</li>
 *   <li>Outages: a store that cannot be reached raises the unchecked {@link StoreUnavailableException}, after
 *       bounded connect timeouts and a few quick retries, so callers can back off and try again later.</li>
 * </ul>
 * Keys are {@code /}-separated paths of segments made of {@code [A-Za-z0-9._=+:@,-]}, see {@link ObjectKeys}.
 * Implementations are thread-safe.
 */
public interface SnapshotStore extends AutoCloseable {

    /**
     * Stores everything {@code data} yields under {@code key}, replacing any object there; does not close
     * {@code data}. {@code progress} hears the number of bytes stored so far (possibly from another thread, calls
     * are serialized).
     *
     * @throws IOException reading {@code data} failed or the store refused the object (nothing is stored)
     */
    StoredObject put(String key, InputStream data, Map<String, String> metadata, ProgressListener progress)
            throws IOException;

    /** {@link #put(String, InputStream, Map, ProgressListener)} without progress reports. */
    default StoredObject put(String key, InputStream data, Map<String, String> metadata) throws IOException {
        return put(key, data, metadata, ProgressListener.NONE);
    }

    /**
     * Opens a streaming read of the object; the caller closes it. The stream throws {@link CorruptObjectException}
     * if the content does not match the stored size and SHA-256.
     *
     * @throws ObjectNotFoundException no complete object under {@code key}
     */
    InputStream get(String key) throws IOException;

    /** The object under {@code key}, if a complete one is there. */
    Optional<StoredObject> stat(String key) throws IOException;

    /** Every complete object whose key starts with {@code prefix} (plain string prefix), sorted by key. */
    List<StoredObject> list(String prefix) throws IOException;

    /** Deletes the object; {@code true} if there was a complete one. The object is invisible from the first step. */
    boolean delete(String key) throws IOException;

    /**
     * Where the objects are, for log lines: {@code dir:/backups}, {@code s3://bucket/prefix/ (endpoint)} or
     * {@code manta:/account/stor/dir at https://endpoint}.
     */
    String location();

    @Override
    void close();
}
