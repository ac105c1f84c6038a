package dev.autopilot.storage.manta;

import dev.autopilot.storage.CorruptObjectException;
import dev.autopilot.storage.Manifest;
import dev.autopilot.storage.ManifestedObjects;
import dev.autopilot.storage.ObjectKeys;
import dev.autopilot.storage.ObjectNotFoundException;
import dev.autopilot.storage.ProgressListener;
import dev.autopilot.storage.Sha256;
import dev.autopilot.storage.SkippedObjects;
import dev.autopilot.storage.SnapshotStore;
import dev.autopilot.storage.StoreSettings;
import dev.autopilot.storage.StoreUnavailableException;
import dev.autopilot.storage.StoredObject;
import dev.autopilot.storage.VerifiedInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Objects in a Manta directory ({@link StoreSettings.Manta#root()}): {@code <root>/<key>} holds the content and
 * {@code <root>/<key>.manifest.json} its size, SHA-256 and metadata, written last. Key segments are Manta
 * sub-directories, created (with every missing parent) before the first object goes into them, and deleted again
 * when their last object is.
 *
 * <p>Objects smaller than {@value #SINGLE_PUT} bytes are one PUT with a length, repeated on transient failures.
 * Larger ones stream in one chunked PUT, never staged: Manta stores an object only when its upload completes, so a
 * failed upload leaves the previous object intact; the old manifest is deleted once the whole source was read and
 * before the upload ends, so a crash leaves the key empty, never mismatched. A streamed upload cannot be repeated:
 * a failure is reported (as {@link StoreUnavailableException} if the store failed) and the caller tries again later.
 */
public final class MantaSnapshotStore implements SnapshotStore {

    private static final Logger log = LoggerFactory.getLogger(MantaSnapshotStore.class);
    static final int SINGLE_PUT = 1 << 20;
    private static final String DIRECTORY_TYPE = "application/json; type=directory";

    private final MantaHttp http;
    private final String root;
    private final String home;
    private final String location;
    private final Duration readTimeout;
    private final long maxObjectBytes;
    private final SkippedObjects skipped;
    private final Set<String> directories = ConcurrentHashMap.newKeySet();

    MantaSnapshotStore(MantaHttp http, String root, String home, String location, Duration readTimeout,
                       long maxObjectBytes) {
        this.http = http;
        this.root = root;
        this.home = home;
        this.location = location;
        this.readTimeout = readTimeout;
        this.maxObjectBytes = maxObjectBytes;
        this.skipped = new SkippedObjects(log, location);
    }

    /**
     * A store for validated settings; reads the private key but does not contact Manta.
     *
     * @throws IllegalArgumentException the key cannot be read
     */
    public static MantaSnapshotStore open(StoreSettings.Manta settings) {
        SigningKey key = SigningKey.load(settings.key());
        String location = "manta:" + settings.root() + " at " + settings.url();
        String user = settings.account() + (settings.subuser() == null ? "" : "/" + settings.subuser());
        RequestSigner signer = new RequestSigner(key, settings.account(), settings.subuser(), settings.keyId(),
                settings.roles(), Clock.systemUTC());
        MantaFailures failures = new MantaFailures(location, user, signer.keyPath());
        MantaHttp http = new MantaHttp(settings.url(), signer, settings.connectTimeout(), settings.readTimeout(), failures);
        return new MantaSnapshotStore(http, settings.root(), topOf(settings.root(), settings.account()), location,
                settings.readTimeout(), (long) settings.maxObjectGiB() << 30);
    }

    /** {@code /<account>/stor} (or {@code public}): the directory that always exists and is never created. */
    private static String topOf(String root, String account) {
        int end = root.indexOf('/', account.length() + 2);
        return end < 0 ? root : root.substring(0, end);
    }

    @Override
    public StoredObject put(String key, InputStream data, Map<String, String> metadata, ProgressListener progress)
            throws IOException {
        ObjectKeys.requireValid(key);
        ObjectKeys.requireValidMetadata(metadata);
        String path = root + "/" + key;
        MessageDigest digest = Sha256.newDigest();
        byte[] first = data.readNBytes(SINGLE_PUT);
        digest.update(first);
        createDirectories(parentOf(path));
        long size;
        if (first.length < SINGLE_PUT) {
            hide(key);
            putBytes("put of " + key, path, first, "application/octet-stream");
            size = first.length;
            progress.stored(size);
        } else {
            size = stream(key, path, first, data, digest, progress);
        }
        StoredObject stored = new StoredObject(key, size, Sha256.hex(digest), Instant.now(), metadata);
        putBytes("put of the manifest of " + key, path + ObjectKeys.MANIFEST_SUFFIX, Manifest.encode(stored),
                "application/json");
        log.debug("stored {} in {}: {} bytes, sha256 {}", key, location, size, stored.sha256());
        return stored;
    }

    /** One chunked PUT of {@code first} and the rest of {@code data}; returns the size. */
    private long stream(String key, String path, byte[] first, InputStream data, MessageDigest digest,
                        ProgressListener progress) throws IOException {
        String action = "put of " + key;
        UploadSource source = new UploadSource(first, data, digest, progress, () -> hide(key));
        // No request timeout: it would bound the whole upload. A stall is caught below, by progress.
        HttpRequest.Builder request = HttpRequest.newBuilder(http.uri(path, null))
                .header("Content-Type", "application/octet-stream")
                .header("max-content-length", Long.toString(maxObjectBytes))
                .PUT(HttpRequest.BodyPublishers.ofInputStream(source::open));
        CompletableFuture<HttpResponse<byte[]>> sent = http.sendOnce(request, HttpResponse.BodyHandlers.ofByteArray());
        HttpResponse<byte[]> response;
        long seen = -1;
        while (true) {
            try {
                response = sent.get(readTimeout.toMillis(), TimeUnit.MILLISECONDS);
                break;
            } catch (TimeoutException e) {
                if (source.count() == seen) {
                    sent.cancel(true);
                    throw http.failures().unreachable(action, "no progress for " + readTimeout.toSeconds() + " s after "
                            + source.count() + " bytes", null);
                }
                seen = source.count();
            } catch (InterruptedException e) {
                sent.cancel(true);
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted during " + action);
            } catch (ExecutionException e) {
                switch (source.failure()) {
                    case IOException fromSource -> throw fromSource;
                    case RuntimeException hideFailed -> throw hideFailed;
                    case null, default -> throw http.failures().unreachable(action, "after " + source.count()
                            + " bytes: " + e.getCause(), e.getCause());
                }
            }
        }
        if (MantaFailures.transientStatus(response.statusCode())) {
            throw http.failures().unreachable(action, "HTTP " + response.statusCode() + " after " + source.count()
                    + " bytes", null);
        }
        if (response.statusCode() / 100 != 2) {
            forgetDirectories(response);
            throw http.failures().refused(action, response.statusCode(), response.body());
        }
        if (!source.ended()) {
            throw new IOException("object store " + location + " answered the " + action + " before it was sent whole");
        }
        return source.count();
    }

    @Override
    public InputStream get(String key) throws IOException {
        StoredObject expected = stat(key).orElseThrow(() -> new ObjectNotFoundException(key, location));
        HttpResponse<InputStream> response = http.send("get of " + key, http.request(root + "/" + key, null).GET(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() == 404) {
            response.body().close();
            throw new CorruptObjectException(key, expected.sha256(), "unknown", "its manifest exists but its content"
                    + " does not");
        }
        if (response.statusCode() != 200) {
            byte[] body = response.body().readNBytes(4096);
            response.body().close();
            throw http.failures().refused("get of " + key, response.statusCode(), body);
        }
        // Closing early closes the connection's stream rather than draining what was not read.
        return new VerifiedInputStream(response.body(), expected);
    }

    @Override
    public Optional<StoredObject> stat(String key) throws IOException {
        ObjectKeys.requireValid(key);
        String manifest = root + "/" + key + ObjectKeys.MANIFEST_SUFFIX;
        HttpResponse<byte[]> response = http.send("stat of " + key, http.request(manifest, null).GET(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() == 404) {
            return Optional.empty();
        }
        if (response.statusCode() != 200) {
            throw http.failures().refused("stat of " + key, response.statusCode(), response.body());
        }
        return Optional.of(Manifest.decode(key, response.body(), "manta:" + manifest));
    }

    @Override
    public List<StoredObject> list(String prefix) throws IOException {
        Map<String, Long> contentSizes = new HashMap<>();
        List<String> manifested = new ArrayList<>();
        int slash = prefix.lastIndexOf('/');
        walk(slash < 0 ? "" : prefix.substring(0, slash), prefix, contentSizes, manifested);
        return ManifestedObjects.read(prefix, contentSizes, manifested, this::stat, skipped, location);
    }

    /** Collects the entries under {@code relative} (a directory below the root) that {@code prefix} can match. */
    private void walk(String relative, String prefix, Map<String, Long> contentSizes, List<String> manifested)
            throws IOException {
        String directory = relative.isEmpty() ? root : root + "/" + relative;
        Optional<List<DirectoryListing.Entry>> entries = DirectoryListing.read(http, directory);
        if (entries.isEmpty()) {
            return; // nothing stored there yet
        }
        for (DirectoryListing.Entry entry : entries.get()) {
            String name = relative.isEmpty() ? entry.name() : relative + "/" + entry.name();
            if (entry.directory()) {
                if ((name + "/").startsWith(prefix) || prefix.startsWith(name + "/")) {
                    walk(name, prefix, contentSizes, manifested);
                }
            } else if (name.endsWith(ObjectKeys.MANIFEST_SUFFIX)) {
                manifested.add(name.substring(0, name.length() - ObjectKeys.MANIFEST_SUFFIX.length()));
            } else {
                contentSizes.put(name, entry.size());
            }
        }
    }

    @Override
    public boolean delete(String key) throws IOException {
        ObjectKeys.requireValid(key);
        String path = root + "/" + key;
        HttpResponse<Void> head = http.send("delete of " + key, http.request(path + ObjectKeys.MANIFEST_SUFFIX, null)
                .method("HEAD", HttpRequest.BodyPublishers.noBody()), HttpResponse.BodyHandlers.discarding());
        if (head.statusCode() != 200 && head.statusCode() != 404) {
            throw http.failures().refused("delete of " + key, head.statusCode(), new byte[0]);
        }
        deleteObject("delete of " + key, path + ObjectKeys.MANIFEST_SUFFIX);
        deleteObject("delete of " + key, path);
        removeEmptyDirectories(parentOf(path));
        return head.statusCode() == 200;
    }

    /**
     * Deletes {@code directory} and its parents up to the root while they are empty (Manta refuses to delete one that
     * is not): every snapshot is a directory, and the empty ones left by retention would make each listing slower.
     * A failure here is harmless, the object is gone already.
     */
    private void removeEmptyDirectories(String directory) {
        for (String d = directory; d.length() > root.length(); d = parentOf(d)) {
            directories.remove(d);
            try {
                HttpResponse<byte[]> response = http.send("delete of directory " + d, http.request(d, null).DELETE(),
                        HttpResponse.BodyHandlers.ofByteArray());
                if (response.statusCode() / 100 != 2) {
                    return; // DirectoryNotEmptyError, or gone already
                }
            } catch (IOException | StoreUnavailableException e) {
                log.debug("{}: could not remove the empty directory {} ({}); it stays", location, d, e.getMessage());
                return;
            }
        }
    }

    @Override
    public String location() {
        return location;
    }

    @Override
    public void close() {
        http.close();
    }

    /** Makes the current object under {@code key} (if any) invisible before its content is replaced. */
    private void hide(String key) throws IOException {
        deleteObject("put of " + key, root + "/" + key + ObjectKeys.MANIFEST_SUFFIX);
    }

    private void deleteObject(String action, String path) throws IOException {
        HttpResponse<byte[]> response = http.send(action, http.request(path, null).DELETE(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() / 100 != 2 && response.statusCode() != 404) {
            throw http.failures().refused(action, response.statusCode(), response.body());
        }
    }

    /** A PUT of bytes held in memory: repeatable, so retried; recreates a directory removed meanwhile once. */
    private void putBytes(String action, String path, byte[] content, String type) throws IOException {
        for (int attempt = 1; ; attempt++) {
            HttpResponse<byte[]> response = http.send(action, http.request(path, null).header("Content-Type", type)
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(content)), HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() / 100 == 2) {
                return;
            }
            if (attempt == 1 && forgetDirectories(response)) {
                createDirectories(parentOf(path));
                continue;
            }
            throw http.failures().refused(action, response.statusCode(), response.body());
        }
    }

    /**
     * Creates {@code directory} and every missing parent below {@code /<account>/stor}: Manta's PutDirectory needs
     * its parent to exist, and is idempotent. Directories made once are remembered.
     */
    private void createDirectories(String directory) throws IOException {
        if (directory.length() <= home.length() || directories.contains(directory)) {
            return;
        }
        createDirectories(parentOf(directory));
        HttpResponse<byte[]> response = http.send("creation of directory " + directory, http.request(directory, null)
                .header("Content-Type", DIRECTORY_TYPE).PUT(HttpRequest.BodyPublishers.noBody()),
                HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() / 100 != 2) {
            throw http.failures().refused("creation of directory " + directory, response.statusCode(), response.body());
        }
        directories.add(directory);
    }

    /** Whether Manta said a directory is missing; then none is assumed to exist any more. */
    private boolean forgetDirectories(HttpResponse<byte[]> response) {
        if (response.statusCode() == 404) {
            directories.clear();
            return true;
        }
        return false;
    }

    private static String parentOf(String path) {
        return path.substring(0, path.lastIndexOf('/'));
    }
}
