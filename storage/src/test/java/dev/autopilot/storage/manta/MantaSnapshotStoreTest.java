package dev.autopilot.storage.manta;

import dev.autopilot.storage.GeneratedStream;
import dev.autopilot.storage.SnapshotStore;
import dev.autopilot.storage.SnapshotStoreContract;
import dev.autopilot.storage.SnapshotStores;
import dev.autopilot.storage.StoreSettings;
import dev.autopilot.storage.StoreUnavailableException;
import dev.autopilot.storage.StoredObject;
import dev.autopilot.testkit.manta.MantaDouble;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The Manta backend against the Manta API double on 127.0.70.1, which verifies every request's HTTP Signature with
 * the account's public key. Each test gets its own directory under {@code /backup/stor}, created by the store.
 */
class MantaSnapshotStoreTest extends SnapshotStoreContract {

    private static final String ACCOUNT = "backup";
    private static final AtomicInteger TESTS = new AtomicInteger();
    private static final KeyPair RSA = TestKeys.rsa();
    private static final KeyPair EC = TestKeys.ec("secp256r1");
    private static Path base;
    private static MantaDouble manta;

    private SnapshotStore store;
    private String directory;

    @BeforeAll
    static void startDouble() throws IOException {
        base = Files.createDirectories(Path.of("target", "manta-it").toAbsolutePath());
        manta = MantaDouble.on("127.0.70.1", 8080, base.resolve("objects"))
                .addKey(ACCOUNT, RSA.getPublic())
                .addKey(ACCOUNT, EC.getPublic())
                .start();
    }

    @AfterAll
    static void stopDouble() {
        if (manta != null) {
            manta.close();
        }
    }

    @BeforeEach
    void open() {
        directory = "run-" + ProcessHandle.current().pid() + "/" + TESTS.incrementAndGet();
        store = SnapshotStores.open(settings(RSA, "rsa.pem", directory));
    }

    @AfterEach
    void close() {
        store.close();
        manta.start();
        manta.failNext(0);
    }

    private static StoreSettings.Manta settings(KeyPair pair, String keyFile, String directory) {
        return new StoreSettings.Manta(manta.url(), ACCOUNT, null, List.of(), TestKeys.keyId(pair),
                TestKeys.file(pair, base.resolve(keyFile)), "autopilot/" + directory,
                Duration.ofSeconds(2), Duration.ofSeconds(10), StoreSettings.Manta.DEFAULT_MAX_OBJECT_GIB);
    }

    private Path fileOf(String key) {
        return manta.fileOf("/" + ACCOUNT + "/stor/autopilot/" + directory + "/" + key);
    }

    @Override
    protected SnapshotStore store() {
        return store;
    }

    @Override
    protected void corruptContent(String key) throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(fileOf(key).toFile(), "rw")) {
            long middle = file.length() / 2;
            file.seek(middle);
            int b = file.read();
            file.seek(middle);
            file.write(b ^ 0x01);
        }
    }

    @Override
    protected void assertNothingStoredUnder(String key) throws IOException {
        assertThat(fileOf(key)).doesNotExist();
        assertThat(fileOf(key + ".manifest.json")).doesNotExist();
        // The double's handler learns of the abort only when its read of the body fails, which can be just after
        // the client has returned; the partial file must then go, as Manta drops an upload cut off midway.
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(manta.pendingUploads()).as("uploads the double still holds").isEmpty());
    }

    @Override
    protected void writeBehindTheStoresBack(String name, byte[] content) throws IOException {
        Files.createDirectories(fileOf(name).getParent());
        Files.write(fileOf(name), content);
    }

    @Test
    void anEcdsaKeyWorksAsWellAsAnRsaOneAndObjectsAreFilesInManta() throws IOException {
        int refusedBefore = manta.refusals().size();
        try (SnapshotStore ec = SnapshotStores.open(settings(EC, "ec.pem", directory))) {
            StoredObject o = ec.put("snapshots/2026/s1", new ByteArrayInputStream(new byte[] {1, 2, 3}), Map.of("k", "v"));
            assertThat(store.stat("snapshots/2026/s1")).contains(o);
        }
        assertThat(fileOf("snapshots/2026/s1")).hasBinaryContent(new byte[] {1, 2, 3});
        assertThat(fileOf("snapshots/2026/s1.manifest.json")).content().contains("\"metadata\":{\"k\":\"v\"}");
        assertThat(manta.refusals()).hasSize(refusedBefore);
    }

    @Test
    void aSignatureByAnotherKeyIsRefusedWithAnErrorNamingKeyIdAndUser() throws IOException {
        SigningKey wrong = SigningKey.load(new StoreSettings.MantaKey.KeyFile(TestKeys.fixture("rsa-pkcs8.pem")));
        String registeredId = TestKeys.keyId(RSA);
        // Signs with a key that is not the one the key id names, as a stolen id with another key would.
        RequestSigner signer = new RequestSigner(wrong, ACCOUNT, null, registeredId, List.of(), Clock.systemUTC());
        String location = "manta:/backup/stor/autopilot/" + directory;
        MantaFailures failures = new MantaFailures(location, ACCOUNT, signer.keyPath());
        MantaHttp http = new MantaHttp(manta.url(), signer, Duration.ofSeconds(2), Duration.ofSeconds(10), failures);
        int refusedBefore = manta.refusals().size();
        try (SnapshotStore forged = new MantaSnapshotStore(http, "/backup/stor/autopilot/" + directory, "/backup/stor",
                location, Duration.ofSeconds(10), 1L << 30)) {
            assertThatThrownBy(() -> forged.put("snapshots/s1", new ByteArrayInputStream(new byte[] {1}), Map.of()))
                    .isInstanceOf(MantaAuthorizationException.class)
                    .hasMessageContainingAll("user 'backup'", "/backup/keys/" + registeredId, "InvalidSignatureError",
                            "HTTP 401", "MANTA_KEY_ID");
            assertThatThrownBy(() -> forged.list("")).isInstanceOf(MantaAuthorizationException.class);
        }
        assertThat(manta.refusals().subList(refusedBefore, manta.refusals().size()))
                .isNotEmpty().allSatisfy(r -> assertThat(r).startsWith("InvalidSignatureError"));
        assertThat(fileOf("snapshots")).doesNotExist();
    }

    @Test
    void aKeyTheAccountDoesNotHaveIsRefused() {
        KeyPair unknown = TestKeys.ec("secp384r1");
        try (SnapshotStore stranger = SnapshotStores.open(settings(unknown, "unknown.pem", directory))) {
            assertThatThrownBy(() -> stranger.stat("snapshots/s1")).isInstanceOf(MantaAuthorizationException.class)
                    .hasMessageContainingAll("KeyDoesNotExistError", TestKeys.keyId(unknown));
        }
    }

    @Test
    void aTamperedDateFailsTheSignatureCheck() throws Exception {
        RequestSigner signer = new RequestSigner(SigningKey.parse(TestKeys.pem(RSA), "rsa"), ACCOUNT, null,
                TestKeys.keyId(RSA), List.of(), Clock.systemUTC());
        try (HttpClient client = HttpClient.newHttpClient()) {
            HttpRequest.Builder signed = signer.sign(HttpRequest.newBuilder(manta.url().resolve("/backup/stor")));
            assertThat(client.send(signed.copy().build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);

            String date = signed.build().headers().firstValue("date").orElseThrow();
            String later = date.replaceFirst(":(\\d\\d) GMT", ":" + (Integer.parseInt(date.replaceAll(".*:(\\d\\d) GMT", "$1")) + 1) % 60 + " GMT");
            HttpResponse<String> tampered = client.send(signed.copy().setHeader("date", later).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(tampered.statusCode()).isEqualTo(401);
            assertThat(tampered.body()).contains("InvalidSignatureError");
            assertThat(client.send(HttpRequest.newBuilder(manta.url().resolve("/backup/stor")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).as("unsigned").isEqualTo(401);
        }
    }

    @Test
    void transientFailuresAreRetriedAndAnOutageIsReportedUnavailableQuickly() throws IOException {
        StoredObject kept = store.put("snapshots/kept", new ByteArrayInputStream(new byte[] {4, 2}), Map.of());

        manta.failNext(2);
        assertThat(store.stat("snapshots/kept")).as("two 503s, then an answer").contains(kept);
        manta.failNext(MantaHttp.ATTEMPTS);
        assertThatThrownBy(() -> store.stat("snapshots/kept")).isInstanceOf(StoreUnavailableException.class)
                .hasMessageContainingAll("HTTP 503", "unreachable");

        manta.stop();
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            assertThatThrownBy(() -> store.list("")).isInstanceOf(StoreUnavailableException.class)
                    .hasMessageContaining(manta.url().toString());
            assertThatThrownBy(() -> store.put("snapshots/new", new GeneratedStream(3 << 20, 5), Map.of()))
                    .isInstanceOf(StoreUnavailableException.class);
        });
        manta.start();
        await("store answers again").atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(store.stat("snapshots/kept")).contains(kept));
        try (InputStream in = store.get("snapshots/kept")) {
            assertThat(in.readAllBytes()).containsExactly(4, 2);
        }
        assertThat(store.stat("snapshots/new")).isEmpty();
    }

    @Test
    void aDirectoryIsCreatedForTheFirstObjectAndRemovedWithTheLast() throws IOException {
        store.put("snapshots/1/backup.xbstream.zst", new ByteArrayInputStream(new byte[] {1}), Map.of());
        store.put("snapshots/1/meta.json", new ByteArrayInputStream(new byte[] {2}), Map.of());
        store.put("binlogs/7/b.000001", new ByteArrayInputStream(new byte[] {3}), Map.of());
        store.put("binlogs/7/b.000002", new ByteArrayInputStream(new byte[] {4}), Map.of());

        store.delete("snapshots/1/backup.xbstream.zst");
        assertThat(fileOf("snapshots/1")).as("still holds meta.json").isDirectory();
        store.delete("snapshots/1/meta.json");
        store.delete("binlogs/7/b.000001");

        assertThat(fileOf("snapshots")).as("emptied, so removed up to the store's directory").doesNotExist();
        assertThat(fileOf("binlogs/7")).isDirectory();
        assertThat(fileOf("")).isDirectory();
        StoredObject again = store.put("snapshots/1/meta.json", new ByteArrayInputStream(new byte[] {5}), Map.of());
        assertThat(store.list("")).extracting(StoredObject::key).containsExactly("binlogs/7/b.000002", again.key());
    }

    @Test
    void listingsReadEveryPageOfALargeDirectory() throws IOException {
        manta.pageSize(3);
        try {
            for (int i = 0; i < 7; i++) {
                store.put("binlogs/7/b.00000" + i, new ByteArrayInputStream(new byte[] {(byte) i}), Map.of());
            }
            assertThat(store.list("binlogs/")).extracting(StoredObject::key)
                    .containsExactly(Stream.iterate(0, i -> i + 1).limit(7).map(i -> "binlogs/7/b.00000" + i).toArray(String[]::new));
        } finally {
            manta.pageSize(1000);
        }
    }
}
