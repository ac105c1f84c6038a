package dev.autopilot.coordination.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.autopilot.coordination.Coordinator;
import dev.autopilot.coordination.CoordinatorSettings;
import dev.autopilot.coordination.Coordinators;
import dev.autopilot.coordination.Member;
import dev.autopilot.coordination.MemberRegistration;
import dev.autopilot.testkit.etcd.EtcdCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A lease renewal costs the store one keep-alive (issue 14, section 3: what one agent costs a shared etcd), counted by
 * etcd itself on a real single-member etcd (127.0.90.11). (jetcd, the gRPC client used before, sent every renewal twice.)
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

    /** etcd's count of LeaseKeepAlive requests received. */
    private static double keepAlivesReceived(URI metrics) throws Exception {
        String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString()).body();
        return body.lines().filter(l -> l.startsWith("grpc_server_msg_received_total{") && l.contains("grpc_method=\"LeaseKeepAlive\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
