package dev.autopilot.storage;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Which {@link SnapshotStore} to open and how; see {@link SnapshotStores#open}. Secrets are masked in toString. */
public sealed interface StoreSettings {

    /**
     * Every problem with these settings, each prefixed by its path under {@code path}
     * ({@code storage.s3.bucket: missing}); empty when valid.
     */
    List<String> problems(String path);

    /**
     * Objects as files under a directory (the default; fine on a shared volume such as NFS). The directory must
     * exist: a missing one is reported as {@link StoreUnavailableException} (an unmounted volume), never created.
     */
    record Directory(Path path) implements StoreSettings {
        @Override
        public List<String> problems(String path) {
            return this.path == null ? List.of(path + ".directory.path: missing") : List.of();
        }
    }

    /**
     * Objects in an S3 bucket (AWS S3, MinIO, Ceph, s3proxy, ...).
     *
     * @param bucket            bucket name
     * @param prefix            key prefix inside the bucket ("" or e.g. {@code cluster1/}; a trailing / is added)
     * @param endpoint          endpoint override ({@code http://minio:9000}), or null for AWS
     * @param region            signing region, or null to use the SDK's region chain (AWS_REGION, profile, ...)
     * @param pathStyle         {@code http://host/bucket/key} instead of {@code http://bucket.host/key}
     * @param credentials       {@link Credentials.DefaultChain} or explicit {@link Credentials.AccessKey}
     * @param partSizeMiB       multipart part size, 5..512 MiB (also the single-PUT threshold)
     * @param uploadConcurrency parts uploaded at once, 1..16; memory used is (concurrency + 1) x part size
     * @param connectTimeout    TCP connect timeout per attempt
     * @param readTimeout       socket read timeout per attempt
     */
    record S3(String bucket, String prefix, URI endpoint, String region, boolean pathStyle, Credentials credentials,
              int partSizeMiB, int uploadConcurrency, Duration connectTimeout, Duration readTimeout)
            implements StoreSettings {

        public static final int DEFAULT_PART_SIZE_MIB = 8;
        public static final int DEFAULT_UPLOAD_CONCURRENCY = 2;
        public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
        public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(60);
        private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");

        public S3 {
            prefix = prefix == null || prefix.isEmpty() || prefix.equals("/") ? ""
                    : (prefix.startsWith("/") ? prefix.substring(1) : prefix) + (prefix.endsWith("/") ? "" : "/");
        }

        /** Settings with default part size, concurrency and timeouts. */
        public S3(String bucket, String prefix, URI endpoint, String region, boolean pathStyle,
                  Credentials credentials) {
            this(bucket, prefix, endpoint, region, pathStyle, credentials, DEFAULT_PART_SIZE_MIB,
                    DEFAULT_UPLOAD_CONCURRENCY, DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT);
        }

        /** A copy with another part size and concurrency. */
        public S3 withParts(int partSizeMiB, int uploadConcurrency) {
            return new S3(bucket, prefix, endpoint, region, pathStyle, credentials, partSizeMiB, uploadConcurrency,
                    connectTimeout, readTimeout);
        }

        @Override
        public List<String> problems(String path) {
            String p = path + ".s3.";
            List<String> out = new ArrayList<>();
            if (bucket == null || bucket.isBlank()) {
                out.add(p + "bucket: missing");
            } else if (!BUCKET.matcher(bucket).matches()) {
                out.add(p + "bucket: '" + bucket + "' is not a valid bucket name (3-63 of a-z 0-9 . -)");
            }
            if (endpoint != null && !"http".equals(endpoint.getScheme()) && !"https".equals(endpoint.getScheme())) {
                out.add(p + "endpoint: '" + endpoint + "' must be an http:// or https:// URL");
            }
            if (region != null && region.isBlank()) {
                out.add(p + "region: blank (leave it unset to use AWS_REGION or the profile)");
            }
            if (credentials == null) {
                out.add(p + "credentials: missing (use the default chain or an access key)");
            } else if (credentials instanceof Credentials.AccessKey(String id, Secret secret)) {
                if (id == null || id.isBlank()) {
                    out.add(p + "credentials.access-key-id: missing");
                }
                if (secret == null || secret.value().isEmpty()) {
                    out.add(p + "credentials.secret-access-key: missing (give a file or an environment variable)");
                }
            }
            if (partSizeMiB < 5 || partSizeMiB > 512) {
                out.add(p + "part-size-mib: " + partSizeMiB + " is out of range 5..512 (S3's minimum part is 5 MiB)");
            }
            if (uploadConcurrency < 1 || uploadConcurrency > 16) {
                out.add(p + "upload-concurrency: " + uploadConcurrency + " is out of range 1..16");
            }
            if (connectTimeout == null || connectTimeout.isNegative() || connectTimeout.isZero()) {
                out.add(p + "connect-timeout: must be positive");
            }
            if (readTimeout == null || readTimeout.isNegative() || readTimeout.isZero()) {
                out.add(p + "read-timeout: must be positive");
            }
            return out;
        }
    }

    /** Where the S3 backend gets its credentials. */
    sealed interface Credentials {

        /** The SDK's standard chain: environment, system properties, web identity, profile, container, instance. */
        record DefaultChain() implements Credentials {
        }

        /** An explicit key; the secret comes from a file or the environment and is never logged. */
        record AccessKey(String accessKeyId, Secret secretAccessKey) implements Credentials {
        }
    }
}
