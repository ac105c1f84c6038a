package dev.autopilot.coordination.consul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autopilot.coordination.CoordinationException;
import dev.autopilot.coordination.Coordinator;
import dev.autopilot.coordination.CoordinatorSettings;
import dev.autopilot.coordination.Coordinators;
import dev.autopilot.coordination.LeaderLock;
import dev.autopilot.coordination.LeaseLoss;
import dev.autopilot.coordination.Member;
import dev.autopilot.coordination.MemberRegistration;
import dev.autopilot.coordination.Secret;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Request/response tests of the Consul backend: the requests it sends are the ones Consul's HTTP API
 * documentation specifies (paths, query parameters, JSON bodies, token header), answered by
 * {@link ConsulApiDouble} as the documentation says Consul answers.
 */
class ConsulRequestTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "s3cr3t-acl-token";

    private ConsulApiDouble consul;
    private Coordinator c;

    @BeforeEach
    void start() throws Exception {
        consul = new ConsulApiDouble("127.0.2.41", TOKEN);
        c = Coordinators.open(CoordinatorSettings.consul("c1", consul.uri()).withToken(Secret.of(TOKEN.toCharArray()))
                .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(2)));
    }

    @AfterEach
    void stop() {
        c.close();
        consul.close();
    }

    private ConsulApiDouble.Request last(String method, String pathPrefix) {
        return consul.requests().reversed().stream().filter(r -> r.method().equals(method) && r.path().startsWith(pathPrefix))
                .findFirst().orElseThrow(() -> new AssertionError("no " + method + " " + pathPrefix + " in " + consul.requests()));
    }

    @Test
    void registrationSendsAgentServiceWithTtlCheckAndHeartbeatsAsCheckPassFail() throws Exception {
        Member m = new Member("db1", "replica", "127.0.2.9", 3306, Set.of("nofailover"), Map.of("role", "replica"));
        MemberRegistration reg = c.register(m, Duration.ofSeconds(5));
        JsonNode body = JSON.readTree(last("PUT", "/v1/agent/service/register").body());
        assertThat(body.path("ID").asText()).isEqualTo("c1-replica-db1");
        assertThat(body.path("Name").asText()).isEqualTo("c1-replica");
        assertThat(body.path("Address").asText()).isEqualTo("127.0.2.9");
        assertThat(body.path("Port").asInt()).isEqualTo(3306);
        assertThat(body.path("Tags").get(0).asText()).isEqualTo("nofailover");
        assertThat(body.path("Meta").path("autopilot_member").asText()).isEqualTo("db1");
        assertThat(body.path("Check").path("CheckID").asText()).isEqualTo("service:c1-replica-db1");
        assertThat(body.path("Check").path("TTL").asText()).isEqualTo("5000ms");
        assertThat(body.path("Check").path("Status").asText()).isEqualTo("passing");

        reg.pass();
        assertThat(last("PUT", "/v1/agent/check/").path()).isEqualTo("/v1/agent/check/pass/service:c1-replica-db1");
        reg.fail();
        assertThat(last("PUT", "/v1/agent/check/").path()).isEqualTo("/v1/agent/check/fail/service:c1-replica-db1");
        assertThat(c.healthyMembers("replica")).isEmpty();
        assertThat(last("GET", "/v1/health/service/").path()).isEqualTo("/v1/health/service/c1-replica");
        assertThat(last("GET", "/v1/health/service/").query()).containsKey("passing");
        reg.deregister();
        assertThat(last("PUT", "/v1/agent/service/deregister/").path()).isEqualTo("/v1/agent/service/deregister/c1-replica-db1");
    }

    @Test
    void boundKeysUseASessionTiedToTheServiceCheckThatDeletesThem() throws Exception {
        MemberRegistration reg = c.register(Member.of("db1", "replica", "127.0.2.9", 3306), Duration.ofSeconds(5));
        reg.putBound("members/db1", "{}".getBytes(StandardCharsets.UTF_8));
        JsonNode session = JSON.readTree(last("PUT", "/v1/session/create").body());
        assertThat(session.path("Checks").get(0).asText()).isEqualTo("service:c1-replica-db1");
        assertThat(session.path("Behavior").asText()).isEqualTo("delete");
        var put = last("PUT", "/v1/kv/");
        assertThat(put.path()).isEqualTo("/v1/kv/autopilot/c1/members/db1");
        assertThat(put.query()).containsKey("acquire");
        assertThat(c.get("members/db1")).isPresent();
        reg.fail();
        assertThat(c.get("members/db1")).as("critical check invalidates the session, which deletes the key").isEmpty();
        reg.pass();
        assertThat(c.get("members/db1")).as("re-acquired under a new session").isPresent();
    }

    @Test
    void keysUseKvWithCasIndexesAndTheClusterScope() {
        assertThat(c.compareAndSet("config/a", 0, new byte[] {1})).isTrue();
        var cas = last("PUT", "/v1/kv/");
        assertThat(cas.path()).isEqualTo("/v1/kv/autopilot/c1/config/a");
        assertThat(cas.query()).containsEntry("cas", "0");
        long version = c.get("config/a").orElseThrow().version();
        assertThat(c.compareAndSet("config/a", version + 100, new byte[] {2})).isFalse();
        assertThat(c.compareAndSet("config/a", version, new byte[] {2})).isTrue();
        assertThat(last("PUT", "/v1/kv/").query()).containsEntry("cas", Long.toString(version));
        c.list("config/");
        assertThat(last("GET", "/v1/kv/").query()).containsKey("recurse");
        assertThat(c.delete("config/a")).isTrue();
        assertThat(last("DELETE", "/v1/kv/").query()).containsKey("cas");
    }

    @Test
    void lockUsesASessionWithTtlALockDelayOfOneTtlAndAcquireRelease() throws Exception {
        LeaderLock lock = c.leaderLock("primary", "db1", Duration.ofSeconds(10), Duration.ofSeconds(2), l -> { });
        assertThat(lock.tryAcquire()).isTrue();
        JsonNode session = JSON.readTree(last("PUT", "/v1/session/create").body());
        assertThat(session.path("TTL").asText()).isEqualTo("10s");
        assertThat(session.path("LockDelay").asText()).isEqualTo("10000ms");
        assertThat(session.path("Behavior").asText()).isEqualTo("delete");
        assertThat(session.path("Checks")).isEmpty();
        var acquire = last("PUT", "/v1/kv/autopilot/c1/locks/primary");
        assertThat(acquire.query()).containsKey("acquire");
        assertThat(acquire.body()).isEqualTo("db1");
        assertThat(lock.holder()).contains("db1");
        lock.renew();
        assertThat(last("PUT", "/v1/session/renew/").path()).endsWith(acquire.query().get("acquire"));
        lock.release();
        // the key is deleted (compare-and-set) before the session is destroyed, so no lock delay starts
        var delete = last("DELETE", "/v1/kv/autopilot/c1/locks/primary");
        var destroy = last("PUT", "/v1/session/destroy/");
        assertThat(delete.query()).containsKey("cas");
        assertThat(destroy.path()).endsWith(acquire.query().get("acquire"));
        assertThat(delete.atNanos()).isLessThan(destroy.atNanos());
        assertThat(lock.holder()).isEmpty();
    }

    @Test
    void sessionIsRenewedAtLeastEvery500msAsOnEtcdNotEveryThirdOfItsTtl() {
        LeaderLock lock = c.leaderLock("primary", "db1", Duration.ofSeconds(10), Duration.ofSeconds(2), l -> { });
        assertThat(lock.tryAcquire()).isTrue();
        long acquired = System.nanoTime();
        // TTL/3 would be one renewal in 3.3 s; the shared cadence is one every 500 ms
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> renewals().size() >= 6);
        List<Long> at = new java.util.ArrayList<>(List.of(acquired));
        at.addAll(renewals());
        for (int i = 1; i < 6; i++) {
            assertThat(Duration.ofNanos(at.get(i) - at.get(i - 1))).as("gap before renewal " + i).isLessThan(Duration.ofMillis(500 + 300));
        }
        lock.release();
    }

    private List<Long> renewals() {
        return consul.requests().stream().filter(r -> r.path().startsWith("/v1/session/renew/")).map(ConsulApiDouble.Request::atNanos).toList();
    }

    @Test
    void sessionInvalidatedBehindTheHoldersBackKeepsContendersOutUntilTheHolderHasFenced() throws Exception {
        Duration ttl = Duration.ofSeconds(3);
        AtomicLong lostAt = new AtomicLong();
        AtomicReference<LeaseLoss.Reason> reason = new AtomicReference<>();
        LeaderLock holder = c.leaderLock("primary", "db1", ttl, Duration.ofSeconds(1), loss -> {
            reason.set(loss.reason());
            lostAt.set(loss.atNanos());
        });
        assertThat(holder.tryAcquire()).isTrue();
        String session = last("PUT", "/v1/kv/autopilot/c1/locks/primary").query().get("acquire");
        try (Coordinator other = Coordinators.open(CoordinatorSettings.consul("c1", consul.uri()).withToken(Secret.of(TOKEN.toCharArray()))
                .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(2)))) {
            LeaderLock contender = other.leaderLock("primary", "db2", ttl, Duration.ofSeconds(1), l -> { });
            // an operator (or the catalog) ends the holder's session: Consul deletes the key at once
            long destroyedAt = System.nanoTime();
            HttpResponse<String> destroyed = HttpClient.newHttpClient().send(HttpRequest.newBuilder(consul.uri().resolve("/v1/session/destroy/" + session))
                    .header("X-Consul-Token", TOKEN).PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(destroyed.statusCode()).isEqualTo(200);
            AtomicLong winningAttemptStart = new AtomicLong();
            org.awaitility.Awaitility.await().atMost(ttl.plusSeconds(5)).pollInterval(Duration.ofMillis(20)).until(() -> {
                long start = System.nanoTime();
                if (contender.tryAcquire()) {
                    winningAttemptStart.set(start);
                    return true;
                }
                return false;
            });
            assertThat(reason.get()).as("the holder learnt of it from its next renewal").isEqualTo(LeaseLoss.Reason.EXPIRED);
            assertThat(lostAt.get()).as("holder declared the loss before the contender's winning attempt began")
                    .isLessThan(winningAttemptStart.get());
            // Consul's lock delay (one TTL) kept the free key from being acquired while the holder might still lead
            assertThat(Duration.ofNanos(winningAttemptStart.get() - destroyedAt)).isGreaterThan(ttl.minusMillis(300));
            contender.release();
        }
    }

    @Test
    void releaseHandsTheLockOverAtOnceDespiteTheLockDelay() {
        LeaderLock holder = c.leaderLock("primary", "db1", Duration.ofSeconds(10), Duration.ofSeconds(2), l -> { });
        LeaderLock contender = c.leaderLock("primary", "db2", Duration.ofSeconds(10), Duration.ofSeconds(2), l -> { });
        assertThat(holder.tryAcquire()).isTrue();
        assertThat(contender.tryAcquire()).isFalse();
        holder.release();
        assertThat(contender.tryAcquire()).as("taken at once, no lock delay after a deliberate release").isTrue();
        contender.release();
    }

    @Test
    void consulSessionTtlBelowTenSecondsIsRaisedToConsulsMinimum() throws Exception {
        LeaderLock lock = c.leaderLock("primary", "db1", Duration.ofSeconds(3), Duration.ofSeconds(1), l -> { });
        assertThat(lock.tryAcquire()).isTrue();
        assertThat(JSON.readTree(last("PUT", "/v1/session/create").body()).path("TTL").asText()).isEqualTo("10s");
        lock.release();
    }

    @Test
    void watchesAreBlockingQueriesCarryingTheLastIndex() throws Exception {
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (var w = c.watchPrefix("members/", e -> seen.add(e.type() + " " + e.key()))) {
            c.put("members/db1", new byte[] {1});
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> seen.contains("PUT members/db1"));
            var blocking = consul.requests().stream().filter(r -> r.path().equals("/v1/kv/autopilot/c1/members/") && r.query().containsKey("index"))
                    .toList();
            assertThat(blocking).isNotEmpty();
            assertThat(blocking.getFirst().query()).containsKey("recurse").containsEntry("wait", "10s");
            assertThat(Long.parseLong(blocking.getLast().query().get("index"))).isGreaterThan(0);
        }
    }

    @Test
    void tokenTravelsOnlyInTheHeaderAndAWrongTokenIsAClearRefusal() throws Exception {
        c.put("x", new byte[] {1});
        assertThat(consul.requests()).allSatisfy(r -> {
            assertThat(r.token()).isEqualTo(TOKEN);
            assertThat(r.query().values()).doesNotContain(TOKEN);
        });
        assertThat(c.settings().toString()).doesNotContain(TOKEN);
        try (Coordinator wrong = Coordinators.open(CoordinatorSettings.consul("c1", consul.uri()).withToken(Secret.of("nope".toCharArray())))) {
            assertThatThrownBy(() -> wrong.put("x", new byte[] {1})).isInstanceOf(CoordinationException.class)
                    .hasMessageContaining("403").hasMessageContaining("coordination.token").hasMessageNotContaining("nope");
        }
    }
}
