package dev.autopilot.agent.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.autopilot.agent.cluster.Role;
import dev.autopilot.agent.config.AgentConfig;
import dev.autopilot.agent.config.AgentConfigLoader;
import dev.autopilot.agent.config.ClusterSecrets;
import dev.autopilot.agent.db.LocalDatabase;
import dev.autopilot.agent.metrics.ClusterMetrics;
import dev.autopilot.coordination.Coordinator;
import dev.autopilot.coordination.CoordinatorSettings;
import dev.autopilot.coordination.Coordinators;
import dev.autopilot.testkit.etcd.EtcdCluster;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Backup jobs against an object store that accepts connections and never answers (127.0.97.x, a real etcd). */
class BackupJobsTest {
    @TempDir
    Path dir;

    @Test
    void theHaLoopReadsTheLastSnapshotWithoutWaitingForAHungObjectStore() throws Exception {
        try (ServerSocket blackHole = new ServerSocket(0, 50, InetAddress.getByName("127.0.97.1"));
             EtcdCluster etcd = EtcdCluster.builder().addresses("127.0.97.2").dataRoot(dir.resolve("etcd")).start()) {
            List<Socket> held = new ArrayList<>();
            Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        held.add(blackHole.accept()); // read nothing, answer nothing
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            });
            Map<String, String> env = new HashMap<>(Map.of(
                    "AUTOPILOT_CLUSTER", "hung", "AUTOPILOT_MEMBER_NAME", "db1", "AUTOPILOT_MEMBER_ADDRESS", "127.0.97.11",
                    "AUTOPILOT_MEMBER_DATA_DIR", dir.resolve("db1").toString(),
                    "AUTOPILOT_BACKUP_S3_BUCKET", "snapshots", "AUTOPILOT_BACKUP_S3_ENDPOINT", "http://127.0.97.1:" + blackHole.getLocalPort(),
                    "AUTOPILOT_BACKUP_S3_REGION", "us-east-1"));
            for (String secret : List.of("root-password", "replication-password", "monitor-password", "backup-password", "cluster-token")) {
                env.put(ClusterSecrets.environmentName(secret), "secret-value-0123456789");
            }
            System.setProperty("aws.accessKeyId", "test");
            System.setProperty("aws.secretAccessKey", "test-secret");
            AgentConfig config = new AgentConfigLoader(env).load(Optional.empty());
            ClusterSecrets secrets = ClusterSecrets.load(env, config);
            try (Coordinator store = Coordinators.open(CoordinatorSettings.etcd("hung", etcd.endpoints()))) {
                BackupJobs jobs = new BackupJobs(config, secrets, new LocalDatabase(config, secrets), store, () -> Role.REPLICA,
                        Optional::empty, new ClusterMetrics(new SimpleMeterRegistry(), "hung", "db1", false));
                // Called by the HA loop twice a cycle (the member record names the last snapshot): it must not do I/O.
                Optional<?> last = assertTimeoutPreemptively(Duration.ofSeconds(2), jobs::lastSnapshot,
                        "reading the last snapshot waited for the object store");
                assertThat(last).isEmpty();
            }
            for (Socket s : held) {
                s.close();
            }
        }
    }
}
