package dev.autopilot.agent.metrics;

import static dev.autopilot.agent.metrics.Readings.cycle;
import static dev.autopilot.agent.metrics.Readings.primary;
import static dev.autopilot.agent.metrics.Readings.replica;
import static dev.autopilot.agent.metrics.Readings.view;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.autopilot.agent.cluster.Role;
import dev.autopilot.agent.ha.Outcome;
import dev.autopilot.backup.restore.ProvisionSource;
import dev.autopilot.backup.restore.ProvisionStream;
import dev.autopilot.coordination.CoordinationException;
import dev.autopilot.storage.ObjectNotFoundException;
import dev.autopilot.storage.fs.DirectorySnapshotStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The meters' values from the narrow inputs the agent hands them: HA cycles, the lock's clock, backups, stores, copies. */
class ClusterMetricsTest {
    private static final Instant NOW = Instant.parse("2026-12-03T12:00:00Z");

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ClusterMetrics metrics = new ClusterMetrics(registry, "c1", "db1", true, Clock.fixed(NOW, ZoneOffset.UTC));

    @TempDir
    Path objects;

    private Exposition scrape() {
        return Exposition.parse(registry.scrape());
    }

    @Test
    void aReplicaShowsItsRoleLagThreadsAndGtidPositionPerDomain() {
        metrics.cycled(cycle(new Outcome.Following("db2"), Role.REPLICA, replica("0-2-10,1-2-7", 3, true, true),
                view("db2", "0-2-15,1-2-7", false)));

        Exposition e = scrape();
        assertThat(e.value("autopilot_role", "role", "replica")).isEqualTo(1);
        assertThat(e.value("autopilot_role", "role", "primary")).isZero();
        assertThat(e.value("autopilot_replication_lag_seconds")).isEqualTo(3);
        assertThat(e.value("autopilot_replication_lag_transactions")).as("5 behind in domain 0, none in 1").isEqualTo(5);
        assertThat(e.value("autopilot_replication_thread_running", "thread", "io")).isEqualTo(1);
        assertThat(e.value("autopilot_replication_thread_running", "thread", "sql")).isEqualTo(1);
        assertThat(e.value("autopilot_gtid_sequence", "domain", "0")).isEqualTo(10);
        assertThat(e.value("autopilot_gtid_sequence", "domain", "1")).isEqualTo(7);
        assertThat(e.value("autopilot_ha_last_outcome", "outcome", "following")).isEqualTo(1);
        assertThat(e.value("autopilot_ha_last_outcome", "outcome", "leading")).isZero();
        assertThat(e.value("autopilot_ha_cycle_seconds_count")).isEqualTo(1);
        assertThat(e.value("autopilot_ha_cycle_seconds_bucket", "le", "0.025")).as("the 12 ms cycle").isEqualTo(1);
        assertThat(e.value("autopilot_ha_cycle_seconds_bucket", "le", "0.01")).isZero();
        assertThat(e.value("autopilot_ha_last_cycle_timestamp_seconds")).isEqualTo(NOW.getEpochSecond());

        metrics.cycled(cycle(new Outcome.Following("db2"), Role.REPLICA, replica("0-2-10,1-2-7", 0, false, true),
                view("db2", "0-2-15,1-2-7", true)));
        e = scrape();
        assertThat(e.value("autopilot_replication_thread_running", "thread", "io")).isZero();
        assertThat(e.value("autopilot_replication_lag_seconds")).as("unknown while a thread is down").isNaN();
        assertThat(e.value("autopilot_cluster_paused")).isEqualTo(1);
    }

    @Test
    void aPrimaryHasNoLagAndCountsEachFallbackOfSemiSyncOnce() {
        String position = "0-1-20";
        for (boolean fallback : List.of(false, true, true, false, true)) {
            metrics.cycled(cycle(new Outcome.Leading(), Role.PRIMARY, primary(position, fallback), view("db1", position, false)));
        }

        Exposition e = scrape();
        assertThat(e.value("autopilot_role", "role", "primary")).isEqualTo(1);
        assertThat(e.value("autopilot_replication_lag_seconds")).isNaN();
        assertThat(e.value("autopilot_replication_lag_transactions")).isNaN();
        assertThat(e.value("autopilot_replication_thread_running", "thread", "io")).isZero();
        assertThat(e.value("autopilot_semisync_fallbacks_total")).isEqualTo(2);
        assertThat(e.value("autopilot_semisync_async_fallback")).isEqualTo(1);
        assertThat(e.value("autopilot_semisync_active")).isZero();

        metrics.cycled(cycle(new Outcome.Leading(), Role.PRIMARY, primary(position, false), view("db1", position, false)));
        assertThat(scrape().value("autopilot_semisync_active")).isEqualTo(1);
    }

    @Test
    void promotionsAreCountedAsFailoversOrSwitchoversWithTheDurationOfTheirCycle() {
        var local = primary("0-1-20", false);
        metrics.cycled(new ClusterMetrics.Cycle(new Outcome.PromotedSelf("db2", "lock was free"), Duration.ofMillis(340), Role.PRIMARY,
                false, false, local, Optional.empty()));
        metrics.cycled(new ClusterMetrics.Cycle(new Outcome.PromotedSelf("db2", "planned switchover from db2"), Duration.ofMillis(80),
                Role.PRIMARY, false, false, local, Optional.empty()));
        metrics.cycled(new ClusterMetrics.Cycle(new Outcome.PromotedSelf("", "planned switchover from "), Duration.ofMillis(90),
                Role.PRIMARY, false, false, local, Optional.empty()));

        Exposition e = scrape();
        assertThat(e.value("autopilot_failovers_total")).as("a forced failover without a primary is a failover").isEqualTo(2);
        assertThat(e.value("autopilot_switchovers_total")).isEqualTo(1);
        assertThat(e.value("autopilot_last_promotion_duration_seconds")).isEqualTo(0.09);
    }

    @Test
    void errantTransactionsFoundAreCountedOnceAndTheMemberShowsAsDiverged() {
        var local = replica("0-1-20,0-7-2", 0, false, false);
        metrics.cycled(cycle(new Outcome.Diverged("db2", 2, "held for an operator"), Role.NONE, local, view("db2", "0-1-20", false)));
        metrics.cycled(new ClusterMetrics.Cycle(new Outcome.Diverged("db2", -1, "held for an operator"), Duration.ofMillis(5), Role.NONE,
                true, false, local, Optional.empty()));

        Exposition e = scrape();
        assertThat(e.value("autopilot_errant_transactions_found_total")).isEqualTo(2);
        assertThat(e.value("autopilot_diverged")).isEqualTo(1);
        assertThat(e.value("autopilot_ha_last_outcome", "outcome", "diverged")).isEqualTo(1);
    }

    @Test
    void leadershipIsReadFromTheLocksOwnClockAtEachScrape() {
        AtomicBoolean held = new AtomicBoolean(true);
        metrics.leadership(held::get, () -> held.get() ? Duration.ofMillis(4500) : Duration.ZERO, () -> false);

        assertThat(scrape().value("autopilot_leader_lock_held")).isEqualTo(1);
        assertThat(scrape().value("autopilot_leader_lease_remaining_seconds")).isEqualTo(4.5);
        held.set(false);
        assertThat(scrape().value("autopilot_leader_lock_held")).isZero();
        assertThat(scrape().value("autopilot_leader_lease_remaining_seconds")).isZero();
    }

    @Test
    void backupsShowTheSnapshotsAgeAndTheArchiveLagOnlyWhereItApplies() {
        var archived = new java.util.concurrent.atomic.AtomicReference<Optional<Instant>>(Optional.of(NOW.minusSeconds(42)));
        metrics.backups(() -> Optional.of(NOW.minus(Duration.ofMinutes(150))), Duration.ofHours(1), () -> 5000L, archived::get);

        Exposition e = scrape();
        assertThat(e.value("autopilot_backup_last_snapshot_age_seconds")).isEqualTo(9000);
        assertThat(e.value("autopilot_backup_overdue")).as("older than twice the interval").isEqualTo(1);
        assertThat(e.value("autopilot_backup_uploaded_bytes_total")).isEqualTo(5000);
        assertThat(e.value("autopilot_binlog_archive_lag_seconds")).isEqualTo(42);
        archived.set(Optional.empty());
        assertThat(scrape().value("autopilot_binlog_archive_lag_seconds")).as("not the primary").isNaN();
    }

    @Test
    void objectStoreRequestsAreTimedAndOnlyFailuresCountAsErrors() throws IOException {
        try (var store = metrics.objectStore(new DirectorySnapshotStore(objects))) {
            store.put("snapshots/a", new ByteArrayInputStream(new byte[100]), Map.of());
            store.list("snapshots/");
            assertThatThrownBy(() -> store.get("snapshots/missing")).isInstanceOf(ObjectNotFoundException.class);
            assertThatThrownBy(() -> store.put("../outside", new ByteArrayInputStream(new byte[1]), Map.of()))
                    .isInstanceOf(IllegalArgumentException.class);
        }

        Exposition e = scrape();
        assertThat(e.value("autopilot_object_store_request_seconds_count", "operation", "put")).isEqualTo(2);
        assertThat(e.value("autopilot_object_store_request_seconds_count", "operation", "get")).isEqualTo(1);
        assertThat(e.value("autopilot_object_store_errors_total", "operation", "get")).as("not found is an answer").isZero();
        assertThat(e.value("autopilot_object_store_errors_total", "operation", "put")).isEqualTo(1);
    }

    @Test
    void coordinationRequestsCountOnlyAnUnreachableStoreAsAnError() {
        RequestMeter meter = new RequestMeter(registry, "autopilot_test_store", List.of("get"));
        assertThatThrownBy(() -> meter.time("get", e -> e instanceof CoordinationException, () -> {
            throw new CoordinationException("etcd unreachable");
        })).isInstanceOf(CoordinationException.class);
        assertThatThrownBy(() -> meter.time("get", e -> e instanceof CoordinationException, () -> {
            throw new IllegalStateException("not held");
        })).isInstanceOf(IllegalStateException.class);
        assertThat(meter.time("get", e -> true, () -> "answer")).isEqualTo("answer");

        Exposition e = scrape();
        assertThat(e.value("autopilot_test_store_request_seconds_count", "operation", "get")).isEqualTo(3);
        assertThat(e.value("autopilot_test_store_errors_total", "operation", "get")).isEqualTo(1);
        assertThat(e.value("autopilot_store_errors_total", "operation", "lock_renew")).as("every operation's errors exist from the start")
                .isZero();
    }

    @Test
    void theBytesOfACopyAreCountedAsTheyArriveWhileProvisioningRuns() throws IOException {
        ProvisioningMeter meter = metrics.provisioning();
        ProvisionSource clone = new ProvisionSource() {
            @Override
            public ProvisionStream open() {
                return new ProvisionStream(new ByteArrayInputStream(new byte[3000]), OptionalLong.of(3000), "db2");
            }

            @Override
            public String describe() {
                return "live clone from db2";
            }
        };
        try (ProvisioningMeter.Copying copying = meter.copying(); ProvisionStream stream = meter.counted(clone).open()) {
            InputStream in = stream.xbstream();
            in.readNBytes(1000);
            Exposition e = scrape();
            assertThat(e.value("autopilot_provisioning_in_progress")).isEqualTo(1);
            assertThat(e.value("autopilot_provisioning_received_bytes_total")).isEqualTo(1000);
            assertThat(e.value("autopilot_provisioning_expected_bytes")).isEqualTo(3000);
            in.readAllBytes();
        }

        Exposition e = scrape();
        assertThat(e.value("autopilot_provisioning_in_progress")).isZero();
        assertThat(e.value("autopilot_provisioning_received_bytes_total")).isEqualTo(3000);
        assertThat(e.value("autopilot_provisioning_expected_bytes")).isNaN();
    }

    @Test
    void theBytesOfASnapshotBeingRestoredAreCounted() throws IOException {
        try (var store = metrics.provisioning().counted(new DirectorySnapshotStore(objects))) {
            store.put("snapshots/s1", new ByteArrayInputStream(new byte[2048]), Map.of());
            assertThat(scrape().value("autopilot_provisioning_received_bytes_total")).as("an upload is not received").isZero();
            try (InputStream in = store.get("snapshots/s1")) {
                in.readAllBytes();
            }
        }

        assertThat(scrape().value("autopilot_provisioning_received_bytes_total")).isEqualTo(2048);
    }
}
