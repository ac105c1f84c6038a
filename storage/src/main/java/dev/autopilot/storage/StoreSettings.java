package dev.autopilot.storage;

import dev.autopilot.storage.manta.SigningKey;

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

    /**
     * Objects in Joyent's Manta (Triton object storage), under one directory of the account's namespace, authenticated
     * with an HTTP Signature made by the account's SSH key. See {@code dev.autopilot.storage.manta.MantaSnapshotStore}.
     *
     * @param url            the Manta endpoint ({@code https://us-central.manta.mnx.io}); {@code MANTA_URL}
     * @param account        the account (login) that owns the namespace; {@code MANTA_USER}
     * @param subuser        an RBAC sub-user signing instead of the account, or null; {@code MANTA_SUBUSER}
     * @param roles          RBAC roles to act under (sent as the {@code Role} header), may be empty; {@code MANTA_ROLE}
     * @param keyId          the key's fingerprint as registered with the account: MD5 ({@code aa:bb:...}) or
     *                       {@code SHA256:...}; {@code MANTA_KEY_ID}
     * @param key            the private key (PEM), from a file or from an environment variable
     * @param directory      the directory objects go under: {@code /<account>/stor/...} (or {@code public}), or a path
     *                       relative to {@code /<account>/stor}; null for {@code /<account>/stor}; {@code MANTA_BUCKET}
     * @param connectTimeout TCP connect timeout per attempt
     * @param readTimeout    time to wait for a response per attempt; a streamed upload that makes no progress
     *                       for this long is abandoned
     * @param maxObjectGiB   the largest object a streamed upload may become, announced to Manta as
     *                       {@code max-content-length} (its default for uploads of unknown length is 5 GB), 1..16384
     */
    record Manta(URI url, String account, String subuser, List<String> roles, String keyId, MantaKey key,
                 String directory, Duration connectTimeout, Duration readTimeout, int maxObjectGiB)
            implements StoreSettings {

        public static final URI DEFAULT_URL = URI.create("https://us-east.manta.joyent.com");
        public static final int DEFAULT_MAX_OBJECT_GIB = 1024;
        private static final Pattern LOGIN = Pattern.compile("[A-Za-z][A-Za-z0-9._-]{0,63}");
        private static final Pattern ROLE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

        public Manta {
            roles = roles == null ? List.of() : List.copyOf(roles);
        }

        /** Settings with default timeouts. */
        public Manta(URI url, String account, String subuser, List<String> roles, String keyId, MantaKey key,
                     String directory) {
            this(url, account, subuser, roles, keyId, key, directory, S3.DEFAULT_CONNECT_TIMEOUT, S3.DEFAULT_READ_TIMEOUT,
                    DEFAULT_MAX_OBJECT_GIB);
        }

        /**
         * The absolute directory the objects go under, without a trailing {@code /}: {@link #directory} resolved
         * against {@code /<account>/stor}.
         */
        public String root() {
            String home = "/" + account + "/stor";
            if (directory == null || directory.isBlank()) {
                return home;
            }
            String d = directory.strip();
            while (d.length() > 1 && d.endsWith("/")) {
                d = d.substring(0, d.length() - 1);
            }
            return d.startsWith("/") ? d : home + "/" + d;
        }

        @Override
        public List<String> problems(String path) {
            String p = path + ".manta.";
            List<String> out = new ArrayList<>();
            if (url == null || !("http".equals(url.getScheme()) || "https".equals(url.getScheme())) || url.getHost() == null
                    || (url.getPath() != null && !url.getPath().isEmpty() && !url.getPath().equals("/"))
                    || url.getQuery() != null) {
                out.add(p + "url: '" + url + "' must be an http:// or https:// URL of the Manta endpoint without a path,"
                        + " e.g. https://us-central.manta.mnx.io (MANTA_URL)");
            }
            boolean accountValid = account != null && LOGIN.matcher(account).matches();
            if (account == null || account.isBlank()) {
                out.add(p + "user: missing; the Manta account that owns the backups (MANTA_USER)");
            } else if (!accountValid) {
                out.add(p + "user: '" + account + "' is not a Manta login (a letter, then letters, digits, . _ -)");
            }
            if (subuser != null && !LOGIN.matcher(subuser).matches()) {
                out.add(p + "subuser: '" + subuser + "' is not a Manta login (a letter, then letters, digits, . _ -)");
            }
            for (String role : roles) {
                if (!ROLE.matcher(role).matches()) {
                    out.add(p + "role: '" + role + "' is not a role name (letters, digits, . _ -; several: comma-separated)");
                }
            }
            if (accountValid) {
                String root = root();
                if (!root.equals("/" + account + "/stor") && !root.startsWith("/" + account + "/stor/")
                        && !root.equals("/" + account + "/public") && !root.startsWith("/" + account + "/public/")) {
                    out.add(p + "directory: '" + directory + "' is outside the account's namespace; use /" + account
                            + "/stor/<dir> (or a path relative to it) (MANTA_BUCKET)");
                } else if (root.contains("//") || root.contains("/./") || root.contains("/../") || root.endsWith("/..")) {
                    out.add(p + "directory: '" + directory + "' has an empty, '.' or '..' segment");
                }
            }
            if (key == null) {
                out.add(p + "keyFile: missing; the SSH private key (PEM) whose fingerprint is the key id"
                        + " (or MANTA_PRIVATE_KEY with the key itself)");
            }
            out.addAll(SigningKey.problems(p, keyId, key));
            if (connectTimeout == null || !connectTimeout.isPositive()) {
                out.add(p + "connectTimeout: must be positive");
            }
            if (readTimeout == null || !readTimeout.isPositive()) {
                out.add(p + "readTimeout: must be positive");
            }
            if (maxObjectGiB < 1 || maxObjectGiB > 16384) {
                out.add(p + "maxObjectGib: " + maxObjectGiB + " is out of range 1..16384");
            }
            return out;
        }
    }

    /** Where the Manta backend's private key comes from. Its text never reaches logs or {@code toString}. */
    sealed interface MantaKey {

        /** A PEM file, read when the store is opened (and when settings are validated). */
        record KeyFile(Path path) implements MantaKey {
        }

        /**
         * The PEM text itself, as the original image took it from {@code MANTA_PRIVATE_KEY}: line breaks may be
         * written as {@code #}.
         *
         * @param source where it came from, for messages ({@code MANTA_PRIVATE_KEY})
         */
        record KeyText(Secret pem, String source) implements MantaKey {
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
