package dev.autopilot.agent.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.autopilot.coordination.Coordinator;
import dev.autopilot.coordination.CoordinatorSettings;
import dev.autopilot.coordination.Coordinators;
import dev.autopilot.testkit.etcd.EtcdCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * Reading the cluster view from a real 3-member etcd (127.0.37.1-3) when some records cannot be decoded: a rolling
 * upgrade's newer agent publishing an enum constant this version does not know, malformed JSON, missing fields.
 * Such a record is skipped and reported; every other member is still read.
 */
@Timeout(120)
class ClusterStoreDecodingTest {

    static EtcdCluster etcd;
    private Coordinator coordinator;
    private ClusterStore store;
    private ListAppender<ILoggingEvent> logs;
    private Logger storeLog;

    @BeforeAll
    static void startCluster() {
        etcd = EtcdCluster.builder().addresses("127.0.37.1", "127.0.37.2", "127.0.37.3").start();
    }

    @AfterAll
    static void stopCluster() {
        if (etcd != null) {
            etcd.close();
        }
    }

    @BeforeEach
    void open(TestInfo info) {
        storeLog = (Logger) LoggerFactory.getLogger(ClusterStore.class);
        logs = new ListAppender<>();
        logs.start();
        storeLog.addAppender(logs);
        String cluster = info.getTestMethod().orElseThrow().getName().substring(0, 20) + Long.toHexString(System.nanoTime() & 0xffffff);
        // generous timeouts: the build machine is shared and etcd can be slow to answer the first read
        coordinator = Coordinators.open(CoordinatorSettings.etcd(cluster, etcd.endpoints()).withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(30)));
        store = new ClusterStore(coordinator);
    }

    @AfterEach
    void close() {
        storeLog.detachAppender(logs);
        if (coordinator != null) {
            coordinator.close();
        }
    }

    private static MemberRecord member(String name, Role role) {
        return new MemberRecord(name, "127.0.37.9", 3306, 8080, 4444, role, MemberState.RUNNING, true, true, "0-1-10", "0-1-10", 0,
                "11.8", "", 100, false, "", 0);
    }

    private void putRaw(String key, String json) {
        coordinator.put(key, json.getBytes(StandardCharsets.UTF_8));
    }

    /** db3's record as a newer agent writes it: same shape, a role constant this version does not have. */
    private static String withRole(String json, String role) {
        return json.replace("\"role\":\"REPLICA\"", "\"role\":\"" + role + "\"");
    }

    @Test
    void memberRecordWithAnUnknownRoleFromANewerAgentIsSkippedAndTheOtherMembersAreStillRead() {
        coordinator.put("members/db1", ClusterStore.encode(member("db1", Role.PRIMARY)));
        coordinator.put("members/db2", ClusterStore.encode(member("db2", Role.REPLICA)));
        String db3 = new String(ClusterStore.encode(member("db3", Role.REPLICA)), StandardCharsets.UTF_8);
        putRaw("members/db3", withRole(db3, "OBSERVER"));
        putRaw("locks/leader", "db1");

        ClusterView view = store.read();

        assertThat(view.members()).containsOnlyKeys("db1", "db2");
        assertThat(view.leader()).contains("db1");
        assertThat(view.unreadable()).containsOnlyKeys("members/db3");
        assertThat(view.unreadable().get("members/db3")).contains("OBSERVER");
        assertThat(view.unreadableMembers()).containsExactly("db3");
    }

    @Test
    void unknownStateMalformedJsonMissingFieldsAndAForeignNameAreEachSkippedWithTheirReason() {
        coordinator.put("members/db1", ClusterStore.encode(member("db1", Role.PRIMARY)));
        String db4 = new String(ClusterStore.encode(member("db4", Role.REPLICA)), StandardCharsets.UTF_8);
        putRaw("members/db4", db4.replace("\"state\":\"RUNNING\"", "\"state\":\"HIBERNATING\""));
        putRaw("members/db5", "{\"name\":\"db5\",\"role\":");
        putRaw("members/db6", "{\"address\":\"127.0.37.9\",\"role\":\"REPLICA\",\"state\":\"RUNNING\"}");
        String db8 = new String(ClusterStore.encode(member("db8", Role.REPLICA)), StandardCharsets.UTF_8);
        putRaw("members/db7", db8);
        putRaw("last-promotion", "{\"member\":");

        ClusterView view = store.read();

        assertThat(view.members()).containsOnlyKeys("db1");
        assertThat(view.unreadable()).containsOnlyKeys("members/db4", "members/db5", "members/db6", "members/db7", "last-promotion");
        assertThat(view.unreadable().get("members/db4")).contains("HIBERNATING");
        assertThat(view.unreadable().get("members/db6")).contains("missing field");
        assertThat(view.unreadable().get("members/db7")).contains("'db8'").contains("members/db7");
        assertThat(view.lastPromotion()).isEmpty();
    }

    @Test
    void anUnreadableRecordIsLoggedOncePerChangeNotEveryCycle() {
        coordinator.put("members/db1", ClusterStore.encode(member("db1", Role.PRIMARY)));
        String db3 = new String(ClusterStore.encode(member("db3", Role.REPLICA)), StandardCharsets.UTF_8);
        putRaw("members/db3", withRole(db3, "OBSERVER"));

        for (int cycle = 0; cycle < 5; cycle++) {
            store.read();
        }
        assertThat(warnings()).hasSize(1);
        assertThat(warnings().getFirst()).contains("members/db3").contains("OBSERVER");

        coordinator.put("members/db3", ClusterStore.encode(member("db3", Role.REPLICA))); // upgraded back / rewritten
        ClusterView healed = store.read();
        store.read();
        assertThat(healed.members()).containsOnlyKeys("db1", "db3");
        assertThat(healed.unreadable()).isEmpty();
        assertThat(logs.list.stream().filter(e -> e.getLevel() == Level.INFO).map(ILoggingEvent::getFormattedMessage))
                .containsExactly("store record members/db3 is readable again (or gone)");
        assertThat(warnings()).hasSize(1);
    }

    private List<String> warnings() {
        return logs.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage).toList();
    }
}
