package dev.autopilot.storage.s3;

import dev.autopilot.storage.GeneratedStream;
import dev.autopilot.storage.Secret;
import dev.autopilot.storage.SnapshotStore;
import dev.autopilot.storage.SnapshotStoreContract;
import dev.autopilot.storage.SnapshotStores;
import dev.autopilot.storage.StoreSettings;
import dev.autopilot.storage.StoreUnavailableException;
import dev.autopilot.storage.StoredObject;
import dev.autopilot.testkit.s3.S3ProxyServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The S3 backend against a real s3proxy (separate process, filesystem blobstore) on 127.0.3.1. Each test gets its
 * own key prefix in one bucket, so tests see an empty store without restarting the server.
 */
class S3SnapshotStoreTest extends SnapshotStoreContract {

    private static final String BUCKET = "snapshots";
    private static final int PART_MIB = 5;
    private static final AtomicInteger TESTS = new AtomicInteger();
    private static S3ProxyServer server;
    private static S3Client raw;

    private SnapshotStore store;
    private String prefix;

    @BeforeAll
    static void startS3Proxy() {
        server = S3ProxyServer.filesystem("127.0.3.1", 8080, Path.of("target", "s3proxy")).start();
        server.createBucket(BUCKET);
        raw = S3Client.builder().endpointOverride(server.endpoint()).region(Region.US_EAST_1).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(server.accessKeyId(), server.secretAccessKey())))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .build();
    }

    @AfterAll
    static void stopS3Proxy() {
        if (raw != null) {
            raw.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void open(TestInfo test) {
        prefix = "run-" + ProcessHandle.current().pid() + "/" + TESTS.incrementAndGet() + "/";
        store = SnapshotStores.open(settings(prefix));
    }

    @AfterEach
    void close() {
        store.close();
        if (!server.isRunning()) {
            server.start();
        }
    }

    private static StoreSettings.S3 settings(String prefix) {
        return new StoreSettings.S3(BUCKET, prefix, server.endpoint(), "us-east-1", true,
                new StoreSettings.Credentials.AccessKey(server.accessKeyId(),
                        new Secret(server.secretAccessKey())))
                .withParts(PART_MIB, 2);
    }

    @Override
    protected SnapshotStore store() {
        return store;
    }

    @Override
    protected void corruptContent(String key) {
        long size = raw.headObject(b -> b.bucket(BUCKET).key(prefix + key)).contentLength();
        byte[] other = new byte[(int) size];
        raw.putObject(b -> b.bucket(BUCKET).key(prefix + key), RequestBody.fromBytes(other));
    }

    @Override
    protected void writeBehindTheStoresBack(String name, byte[] content) {
        raw.putObject(b -> b.bucket(BUCKET).key(prefix + name), RequestBody.fromBytes(content));
    }

    @Override
    protected void assertNothingStoredUnder(String key) {
        List<String> keys = raw.listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix(prefix + key)).contents()
                .stream().map(S3Object::key).toList();
        assertThat(keys).as("objects under %s", prefix + key).isEmpty();
        assertThat(openUploads(key)).as("multipart uploads left open for %s", key).isEmpty();
    }

    private List<MultipartUpload> openUploads(String key) {
        return raw.listMultipartUploads(b -> b.bucket(BUCKET).prefix(prefix + key)).uploads();
    }

    @Test
    void largeObjectIsUploadedInPartsAndInvisibleUntilComplete() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicLong stored = new AtomicLong();
        long size = 4L * (PART_MIB << 20) + 12345;
        // Hands out three parts, then waits: the upload is open with parts stored, but not complete.
        long pauseAt = 3L * (PART_MIB << 20);
        // Hands out three parts, then waits: the upload is open with parts stored, but not complete.
        InputStream paused = new FilterInputStream(new GeneratedStream(size, 11)) {
            private long count;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (count >= pauseAt) {
                    awaitUninterruptibly(release);
                } else {
                    len = (int) Math.min(len, pauseAt - count);
                }
                int n = in.read(b, off, len);
                count += Math.max(n, 0);
                return n;
            }
        };
        CompletableFuture<StoredObject> put = CompletableFuture.supplyAsync(() -> {
            try {
                return store.put("snapshots/big.xb", paused, Map.of(), stored::set);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }, r -> Thread.ofVirtual().name("test-put").start(r));

        // Progress counts parts the store acknowledged (UploadPart), so this proves parts are stored...
        await("three parts stored").atMost(Duration.ofSeconds(30)).until(stored::get, n -> n == pauseAt);
        assertThat(openUploads("snapshots/big.xb")).hasSize(1);
        // ...while nothing is visible under the key.
        assertThatThrownBy(() -> raw.headObject(b -> b.bucket(BUCKET).key(prefix + "snapshots/big.xb")))
                .isInstanceOf(NoSuchKeyException.class);
        assertThat(store.stat("snapshots/big.xb")).isEmpty();

        release.countDown();
        assertThat(put.get().size()).isEqualTo(size);
        assertThat(openUploads("snapshots/big.xb")).isEmpty();
        assertThat(raw.headObject(b -> b.bucket(BUCKET).key(prefix + "snapshots/big.xb")).eTag()).endsWith("-5\"");
        try (InputStream in = store.get("snapshots/big.xb")) {
            assertThat(in.transferTo(java.io.OutputStream.nullOutputStream())).isEqualTo(size);
        }
    }

    @Test
    void stoppedStoreIsReportedUnavailableQuicklyAndWorksAgainAfterRestart() throws IOException {
        StoredObject kept = store.put("snapshots/kept", new ByteArrayInputStream(new byte[] {4, 2}), Map.of());

        server.stop();
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            assertThatThrownBy(() -> store.stat("snapshots/kept")).isInstanceOf(StoreUnavailableException.class)
                    .hasMessageContaining(server.endpoint().toString()).hasMessageContaining("unreachable");
            assertThatThrownBy(() -> store.list("")).isInstanceOf(StoreUnavailableException.class);
            assertThatThrownBy(() -> store.put("snapshots/new", new GeneratedStream(1 << 20, 5), Map.of()))
                    .isInstanceOf(StoreUnavailableException.class);
        });

        server.start();
        await("store answers again").atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(store.stat("snapshots/kept")).contains(kept));
        try (InputStream in = store.get("snapshots/kept")) {
            assertThat(in.readAllBytes()).containsExactly(4, 2);
        }
        assertThat(store.stat("snapshots/new")).isEmpty();
    }

    @Test
    void storeDyingMidUploadIsReportedUnavailableAndLeavesNoObject() throws IOException {
        long stopAt = 2L * (PART_MIB << 20);
        InputStream source = new FilterInputStream(new GeneratedStream(8L * (PART_MIB << 20), 9)) {
            private long count;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = in.read(b, off, len);
                if (count < stopAt && (count += Math.max(n, 0)) >= stopAt) {
                    server.stop();
                }
                return n;
            }
        };

        assertTimeoutPreemptively(Duration.ofSeconds(60), () ->
                assertThatThrownBy(() -> store.put("snapshots/cut.xb", source, Map.of()))
                        .isInstanceOf(StoreUnavailableException.class).hasMessageContaining("snapshots/cut.xb"));

        server.start();
        await("store answers again").atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(store.stat("snapshots/cut.xb")).isEmpty());
        assertThat(store.list("")).isEmpty();
        assertThatThrownBy(() -> raw.headObject(b -> b.bucket(BUCKET).key(prefix + "snapshots/cut.xb")))
                .isInstanceOf(NoSuchKeyException.class);
    }

    private static void awaitUninterruptibly(CountDownLatch latch) throws IOException {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while paused");
        }
    }
}
