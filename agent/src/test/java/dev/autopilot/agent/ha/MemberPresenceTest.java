package dev.autopilot.agent.ha;

import static org.assertj.core.api.Assertions.assertThat;

import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.agent.cluster.MemberState;
import dev.autopilot.agent.cluster.Role;
import dev.autopilot.coordination.Coordinator;
import dev.autopilot.coordination.CoordinatorSettings;
import dev.autopilot.coordination.Coordinators;
import dev.autopilot.coordination.Member;
import dev.autopilot.coordination.MemberRegistration;
import dev.autopilot.testkit.etcd.EtcdCluster;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What one member costs the store per cycle (issue 14, section 3: many clusters on one store), on a real etcd
 * (127.0.90.10): the service registration is renewed once a second like the presence, not on every HA cycle, and a
 * change of health still reaches the service at once. Heartbeats are counted on their way to the real registration.
 */
class MemberPresenceTest {
    private static EtcdCluster etcd;
    private static Coordinator store;

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    /** "service:healthy" for every heartbeat sent, in order. */
    private final List<String> heartbeats = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startEtcd() {
        etcd = EtcdCluster.builder().addresses("127.0.90.10").start();
        store = Coordinators.open(CoordinatorSettings.etcd("presence", etcd.endpoints()));
    }

    @AfterAll
    static void stopEtcd() {
        if (store != null) {
            store.close();
        }
        if (etcd != null) {
            etcd.close();
        }
    }

    @Test
    void serviceRegistrationIsRenewedOnceASecondNotOnEveryCycle() {
        try (MemberPresence presence = new MemberPresence(counting(store), "presence", Duration.ofSeconds(4), now::get)) {
            presence.publish(replica("db1", true), true); // joins presence-replica: a new registration needs no heartbeat
            for (int cycle = 0; cycle < 8; cycle++) { // the HA loop's 500 ms cycles, woken in between by store changes
                now.addAndGet(Duration.ofMillis(100).toNanos());
                presence.publish(replica("db1", true), true);
            }
            assertThat(serviceHeartbeats()).isEmpty();

            now.addAndGet(Duration.ofMillis(300).toNanos()); // 1.1 s after joining
            presence.publish(replica("db1", true), true);
            assertThat(serviceHeartbeats()).containsExactly("presence-replica:true");
            assertThat(store.healthyMembers("presence-replica")).extracting(Member::name).containsExactly("db1");
        }
    }

    @Test
    void serviceMemberThatTurnsUnhealthyLeavesAtOnceAndReturnsAtOnce() {
        try (MemberPresence presence = new MemberPresence(counting(store), "presence", Duration.ofSeconds(4), now::get)) {
            presence.publish(replica("db2", true), true);
            now.addAndGet(Duration.ofMillis(100).toNanos());
            presence.publish(replica("db2", false), true);
            assertThat(store.healthyMembers("presence-replica")).extracting(Member::name).doesNotContain("db2");

            now.addAndGet(Duration.ofMillis(100).toNanos());
            presence.publish(replica("db2", true), true);
            assertThat(store.healthyMembers("presence-replica")).extracting(Member::name).contains("db2");
            assertThat(serviceHeartbeats()).containsExactly("presence-replica:false", "presence-replica:true");
        }
    }

    private List<String> serviceHeartbeats() {
        return heartbeats.stream().filter(h -> h.startsWith("presence-replica:")).toList();
    }

    private static MemberRecord replica(String name, boolean healthy) {
        return new MemberRecord(name, "127.0.90.11", 3306, 8008, 4444, Role.REPLICA, MemberState.RUNNING, healthy, true,
                "0-1-10", "0-1-10", 0, "10.11.6", "", 100, false, "127.0.90.12", 0, "", false, 11);
    }

    /** The real coordinator, with every registration's heartbeats recorded in {@link #heartbeats} before they are sent. */
    private Coordinator counting(Coordinator real) {
        return (Coordinator) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Coordinator.class}, (proxy, method, args) -> {
            Object result = invoke(real, method, args);
            if (result instanceof MemberRegistration registration) {
                return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {MemberRegistration.class}, (p, m, a) -> {
                    if (m.getName().equals("heartbeat")) {
                        heartbeats.add(registration.member().service() + ":" + a[0]);
                    }
                    return invoke(registration, m, a);
                });
            }
            return result;
        });
    }

    private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
