package dev.autopilot.coordination.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.autopilot.coordination.CoordinatorSettings;
import dev.autopilot.testkit.etcd.EtcdCluster;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The etcd client's own HTTP/1.1 connections ({@link GatewayConnection}, pooled by {@link EtcdHttp}) against a real
 * single-member etcd (127.0.90.21): kept alive and reused, replaced when the member closed them, bounded by the
 * request's time, and streams that end when closed.
 */
class EtcdHttpTest {

    private static final long TWO_SECONDS = TimeUnit.SECONDS.toNanos(2);
    private static EtcdCluster etcd;

    @BeforeAll
    static void start() {
        etcd = EtcdCluster.builder().addresses("127.0.90.21").start();
    }

    @AfterAll
    static void stop() {
        etcd.close();
    }

    private static EtcdHttp client() {
        return new EtcdHttp(CoordinatorSettings.etcd("http-test", etcd.endpoints()));
    }

    private static ObjectNode put(String key, String value) {
        return EtcdHttp.JSON.createObjectNode().put("key", EtcdHttp.b64(key)).put("value", EtcdHttp.b64(value));
    }

    private static ObjectNode range(String key) {
        return EtcdHttp.JSON.createObjectNode().put("key", EtcdHttp.b64(key));
    }

    private static String valueOf(JsonNode rangeAnswer) {
        return new String(EtcdHttp.bytes(rangeAnswer.path("kvs").path(0), "value"), StandardCharsets.UTF_8);
    }

    @Test
    void requestsOneAfterAnotherShareOneConnection() throws Exception {
        try (EtcdHttp http = client()) {
            http.call("/v3/kv/put", put("shared", "1"), TWO_SECONDS);
            for (int i = 0; i < 50; i++) {
                assertThat(valueOf(http.call("/v3/kv/range", range("shared"), TWO_SECONDS))).isEqualTo("1");
            }
            assertThat(http.connectionsOpened()).isEqualTo(1);
        }
    }

    @Test
    void aLargeAnswerSentInChunksArrivesWhole() throws Exception {
        try (EtcdHttp http = client()) {
            String big = "x".repeat(300_000); // etcd's gateway sends an answer this size chunked
            http.call("/v3/kv/put", put("big", big), TWO_SECONDS);
            assertThat(valueOf(http.call("/v3/kv/range", range("big"), TWO_SECONDS))).isEqualTo(big);
            assertThat(valueOf(http.call("/v3/kv/range", range("big"), TWO_SECONDS))).isEqualTo(big);
            assertThat(http.connectionsOpened()).isEqualTo(1);
        }
    }

    @Test
    void aWriteAfterTheMemberRestartedGoesOutOnANewConnectionWithoutAnError() throws Exception {
        try (EtcdHttp http = client()) {
            http.call("/v3/kv/put", put("restart", "before"), TWO_SECONDS);
            etcd.kill(0);
            etcd.restart(0);
            // The idle connection was closed by the member's death; a write is not repeatable, so it must not be sent on it.
            http.call("/v3/kv/put", put("restart", "after"), TimeUnit.SECONDS.toNanos(5));
            assertThat(valueOf(http.call("/v3/kv/range", range("restart"), TWO_SECONDS))).isEqualTo("after");
            assertThat(http.connectionsOpened()).isEqualTo(2);
        }
    }

    @Test
    void aMemberThatStopsAnsweringFailsTheRequestAtItsDeadline() throws Exception {
        try (EtcdHttp http = client()) {
            http.call("/v3/kv/put", put("paused", "1"), TWO_SECONDS);
            etcd.pause(0);
            try {
                assertThatThrownBy(() -> http.call("/v3/kv/range", range("paused"), TimeUnit.MILLISECONDS.toNanos(300)))
                        .isInstanceOf(java.net.SocketTimeoutException.class);
            } finally {
                etcd.resume(0);
            }
            assertThat(valueOf(http.call("/v3/kv/range", range("paused"), TimeUnit.SECONDS.toNanos(5)))).isEqualTo("1");
        }
    }

    @Test
    void aWatchStreamDeliversChangesAndAReaderBlockedInItReturnsWhenItIsClosed() throws Exception {
        try (EtcdHttp http = client()) {
            ObjectNode create = EtcdHttp.JSON.createObjectNode();
            create.putObject("create_request").put("key", EtcdHttp.b64("watched"));
            EtcdHttp.Stream stream = http.open("/v3/watch", create, TWO_SECONDS);
            BufferedReader lines = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8));
            assertThat(lines.readLine()).contains("\"created\":true");
            http.call("/v3/kv/put", put("watched", "v1"), TWO_SECONDS);
            assertThat(lines.readLine()).contains(EtcdHttp.b64("v1"));
            CompletableFuture<Object> blocked = CompletableFuture.supplyAsync(() -> {
                try {
                    return lines.readLine();
                } catch (IOException e) {
                    return e;
                }
            }, Executors.newVirtualThreadPerTaskExecutor());
            stream.body().close();
            Object ended = blocked.get(5, TimeUnit.SECONDS);
            assertThat(ended == null || ended instanceof IOException).as("end of stream or a closed-socket error: %s", ended).isTrue();
        }
    }
}
