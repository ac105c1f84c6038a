package dev.autopilot.coordination.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.autopilot.coordination.Coordinator;
import dev.autopilot.coordination.CoordinatorSettings;
import dev.autopilot.coordination.Coordinators;
import dev.autopilot.coordination.LeaderLock;
import dev.autopilot.coordination.Member;
import dev.autopilot.coordination.MemberRegistration;
import dev.autopilot.testkit.etcd.EtcdCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What the lock's lease costs the store, counted by etcd itself on a real single-member etcd (127.0.90.11): a renewal
 * is one keep-alive (issue 14, section 3: what one agent costs a shared etcd; jetcd, the gRPC client used before, sent
 * every renewal twice), and a waiting contender takes a released lock with one transaction (issue 14, section 2: the
 * target of a planned hand-over waits in {@code acquire} while the old primary releases).
 */
class EtcdKeepAliveTest {

    @Test
    void eachHeartbeatRenewsTheLeaseOnceInTheStore() throws Exception {
        try (EtcdCluster etcd = EtcdCluster.builder().addresses("127.0.90.11").start();
             Coordinator store = Coordinators.open(CoordinatorSettings.etcd("keepalive", etcd.endpoints()))) {
            MemberRegistration registration = store.register(Member.of("db1", "keepalive-members", "127.0.90.12", 3306),
                    Duration.ofSeconds(4));
            URI metrics = etcd.member(0).clientUri().resolve("/metrics");
            double before = keepAlivesReceived(metrics);
            for (int i = 0; i < 10; i++) {
                registration.heartbeat(true);
            }
            assertThat(keepAlivesReceived(metrics) - before).isEqualTo(10);
            assertThat(store.healthyMembers("keepalive-members")).extracting(Member::name).containsExactly("db1");
        }
    }

    @Test
    void aWaitingContenderTakesTheReleasedLockWithOneTransaction() throws Exception {
        withHeldLock((metrics, holder, target) -> {
            double txnsBefore = received(metrics, "Txn");
            CompletableFuture<Boolean> taken = CompletableFuture.supplyAsync(() -> target.acquire(Duration.ofSeconds(10)),
                    Executors.newVirtualThreadPerTaskExecutor());
            // The contender has tried once and found the lock held: from here it waits for the release.
            await().atMost(Duration.ofSeconds(10)).until(() -> received(metrics, "Txn") > txnsBefore);
            takenWithOneTransactionAndNoGrant(metrics, target, () -> {
                holder.release();
                return taken.get(10, TimeUnit.SECONDS);
            });
        });
    }

    @Test
    void aContenderThatStopsWaitingLeavesNoLeaseBehind() throws Exception {
        withHeldLock((metrics, holder, target) -> {
            double revokes = received(metrics, "LeaseRevoke");
            assertThat(target.acquire(Duration.ofMillis(300))).isFalse();
            assertThat(received(metrics, "LeaseRevoke") - revokes).as("the waiting contender's unused lease revoked").isEqualTo(1);
            assertThat(holder.holder()).contains("db1");
            assertThat(holder.isHeld()).isTrue();
        });
    }

    @Test
    void aContenderPreparedBeforeTheReleaseTakesTheLockWithOneTransactionAndNoGrant() throws Exception {
        withHeldLock((metrics, holder, target) -> {
            double grantsBefore = received(metrics, "LeaseGrant");
            target.prepareAcquire(); // the hand-over named db2: its lease is granted while it gets ready
            await().atMost(Duration.ofSeconds(10)).until(() -> received(metrics, "LeaseGrant") > grantsBefore);
            holder.release();
            takenWithOneTransactionAndNoGrant(metrics, target, () -> target.acquire(Duration.ofSeconds(10)));
        });
    }

    @Test
    void aLeasePreparedAgainReplacesTheUnusedOneWhichIsRevoked() throws Exception {
        withHeldLock((metrics, holder, target) -> {
            double grants = received(metrics, "LeaseGrant");
            double revokes = received(metrics, "LeaseRevoke");
            target.prepareAcquire();
            await().atMost(Duration.ofSeconds(10)).until(() -> received(metrics, "LeaseGrant") - grants == 1);
            target.prepareAcquire();
            await().atMost(Duration.ofSeconds(10)).until(() -> received(metrics, "LeaseGrant") - grants == 2
                    && received(metrics, "LeaseRevoke") - revokes == 1);
            assertThat(holder.holder()).contains("db1");
        });
    }

    /** Runs {@code take}, which must take the lock for db2, and checks etcd saw no lease granted and one transaction meanwhile. */
    private static void takenWithOneTransactionAndNoGrant(URI metrics, LeaderLock target, Callable<Boolean> take) throws Exception {
        double grants = received(metrics, "LeaseGrant");
        double txns = received(metrics, "Txn");
        assertThat(take.call()).isTrue();
        assertThat(received(metrics, "LeaseGrant") - grants).as("leases granted meanwhile").isZero();
        assertThat(received(metrics, "Txn") - txns).as("transactions meanwhile").isEqualTo(1);
        assertThat(target.holder()).contains("db2");
    }

    /** What a test does with a lock held by db1 and a second contender, db2, on their own clients of one etcd. */
    @FunctionalInterface
    private interface HeldLockScenario {
        void run(URI metrics, LeaderLock holder, LeaderLock target) throws Exception;
    }

    private static void withHeldLock(HeldLockScenario scenario) throws Exception {
        try (EtcdCluster etcd = EtcdCluster.builder().addresses("127.0.90.11").start();
             Coordinator a = Coordinators.open(CoordinatorSettings.etcd("handover", etcd.endpoints()));
             Coordinator b = Coordinators.open(CoordinatorSettings.etcd("handover", etcd.endpoints()))) {
            LeaderLock holder = a.leaderLock("leader", "db1", Duration.ofSeconds(4), Duration.ofSeconds(1), loss -> { });
            LeaderLock target = b.leaderLock("leader", "db2", Duration.ofSeconds(4), Duration.ofSeconds(1), loss -> { });
            assertThat(holder.tryAcquire()).isTrue();
            scenario.run(etcd.member(0).clientUri().resolve("/metrics"), holder, target);
        }
    }

    /** etcd's count of LeaseKeepAlive requests received. */
    private static double keepAlivesReceived(URI metrics) throws Exception {
        return received(metrics, "LeaseKeepAlive");
    }

    /** etcd's count of requests of one gRPC method received (the HTTP gateway's calls count as theirs). */
    private static double received(URI metrics, String method) throws Exception {
        String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString()).body();
        return body.lines().filter(l -> l.startsWith("grpc_server_msg_received_total{") && l.contains("grpc_method=\"" + method + "\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
