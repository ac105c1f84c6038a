package dev.autopilot.storage.s3;

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
import dev.autopilot.storage.StoredObject;
import dev.autopilot.storage.VerifiedInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Objects in an S3 bucket: {@code <prefix><key>} holds the content and {@code <prefix><key>.manifest.json} its
 * size, SHA-256 and metadata, written last.
 *
 * <p>Objects smaller than one part are one PUT; larger ones one multipart upload ({@link MultipartUpload}), which
 * S3 makes visible atomically on completion and which is aborted on failure. Replacing a key deletes the old
 * manifest before the new content becomes visible, so a crash in between leaves the key empty, never a mismatch.
 * A listing skips and reports ({@link SkippedObjects}) an entry whose key is invalid or whose manifest is unreadable.
 */
public final class S3SnapshotStore implements SnapshotStore {

    private static final Logger log = LoggerFactory.getLogger(S3SnapshotStore.class);

    private final S3Client s3;
    private final String bucket;
    private final String prefix;
    private final int partSize;
    private final int concurrency;
    private final String location;
    private final SkippedObjects skipped;
    private final S3Failures failures;

    S3SnapshotStore(S3Client s3, String bucket, String prefix, int partSize, int concurrency, String location) {
        this.s3 = s3;
        this.bucket = bucket;
        this.prefix = prefix;
        this.partSize = partSize;
        this.concurrency = concurrency;
        this.location = location;
        this.skipped = new SkippedObjects(log, location);
        this.failures = new S3Failures(location);
    }

    /** A store for validated settings; does not contact the endpoint. */
    public static S3SnapshotStore open(StoreSettings.S3 settings) {
        String location = "s3://" + settings.bucket() + "/" + settings.prefix()
                + (settings.endpoint() == null ? "" : " at " + settings.endpoint());
        return new S3SnapshotStore(S3Clients.create(settings), settings.bucket(), settings.prefix(),
                settings.partSizeMiB() << 20, settings.uploadConcurrency(), location);
    }

    @Override
    public StoredObject put(String key, InputStream data, Map<String, String> metadata, ProgressListener progress)
            throws IOException {
        ObjectKeys.requireValid(key);
        ObjectKeys.requireValidMetadata(metadata);
        String objectKey = prefix + key;
        MessageDigest digest = Sha256.newDigest();
        byte[] first = new byte[partSize];
        int length = data.readNBytes(first, 0, partSize);
        digest.update(first, 0, length);
        try {
            long size;
            if (length < partSize) {
                hide(key);
                s3.putObject(b -> b.bucket(bucket).key(objectKey).contentLength((long) length)
                                .contentType("application/octet-stream"),
                        RequestBody.fromContentProvider(() -> new ByteArrayInputStream(first, 0, length), length,
                                "application/octet-stream"));
                size = length;
                progress.stored(size);
            } else {
                size = new MultipartUpload(s3, bucket, objectKey, partSize, concurrency, progress)
                        .run(first, data, digest, () -> hide(key));
            }
            StoredObject stored = new StoredObject(key, size, Sha256.hex(digest), Instant.now(), metadata);
            byte[] manifest = Manifest.encode(stored);
            s3.putObject(b -> b.bucket(bucket).key(objectKey + ObjectKeys.MANIFEST_SUFFIX)
                    .contentType("application/json"), RequestBody.fromBytes(manifest));
            log.debug("stored {} in {}: {} bytes, sha256 {}", key, location, size, stored.sha256());
            return stored;
        } catch (SdkException e) {
            throw failures.translate("put of " + key, e);
        }
    }

    @Override
    public InputStream get(String key) throws IOException {
        StoredObject expected = stat(key).orElseThrow(() -> new ObjectNotFoundException(key, location));
        ResponseInputStream<GetObjectResponse> content;
        try {
            content = s3.getObject(b -> b.bucket(bucket).key(prefix + key));
        } catch (NoSuchKeyException e) {
            throw new CorruptObjectException(key, expected.sha256(), "unknown", "its manifest exists but its content"
                    + " does not");
        } catch (SdkException e) {
            throw failures.translate("get of " + key, e);
        }
        return new VerifiedInputStream(new FilterInputStream(content) {
            @Override
            public void close() throws IOException {
                // Abort rather than drain what the reader left unread (it may be gigabytes).
                content.abort();
                super.close();
            }
        }, expected);
    }

    @Override
    public Optional<StoredObject> stat(String key) throws IOException {
        ObjectKeys.requireValid(key);
        String manifestKey = prefix + key + ObjectKeys.MANIFEST_SUFFIX;
        try {
            byte[] json = s3.getObjectAsBytes(b -> b.bucket(bucket).key(manifestKey)).asByteArray();
            return Optional.of(Manifest.decode(key, json, "s3://" + bucket + "/" + manifestKey));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (SdkException e) {
            throw failures.translate("stat of " + key, e);
        }
    }

    @Override
    public List<StoredObject> list(String keyPrefix) throws IOException {
        Map<String, Long> contentSizes = new HashMap<>();
        List<String> manifested = new ArrayList<>();
        try {
            for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix + keyPrefix)).contents()) {
                String key = o.key().substring(prefix.length());
                if (key.endsWith(ObjectKeys.MANIFEST_SUFFIX)) {
                    manifested.add(key.substring(0, key.length() - ObjectKeys.MANIFEST_SUFFIX.length()));
                } else {
                    contentSizes.put(key, o.size());
                }
            }
        } catch (SdkException e) {
            throw failures.translate("list of '" + keyPrefix + "'", e);
        }
        // A manifest without its content is not an object; read the rest concurrently (one GET each).
        return ManifestedObjects.read(keyPrefix, contentSizes, manifested, this::stat, skipped, location);
    }

    @Override
    public boolean delete(String key) throws IOException {
        ObjectKeys.requireValid(key);
        try {
            boolean existed = exists(prefix + key + ObjectKeys.MANIFEST_SUFFIX);
            s3.deleteObject(b -> b.bucket(bucket).key(prefix + key + ObjectKeys.MANIFEST_SUFFIX));
            s3.deleteObject(b -> b.bucket(bucket).key(prefix + key));
            return existed;
        } catch (SdkException e) {
            throw failures.translate("delete of " + key, e);
        }
    }

    @Override
    public String location() {
        return location;
    }

    @Override
    public void close() {
        s3.close();
    }

    /** Makes the current object under {@code key} (if any) invisible before its content is replaced. */
    private void hide(String key) {
        s3.deleteObject(b -> b.bucket(bucket).key(prefix + key + ObjectKeys.MANIFEST_SUFFIX));
    }

    private boolean exists(String objectKey) {
        try {
            s3.headObject(b -> b.bucket(bucket).key(objectKey));
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }
}
