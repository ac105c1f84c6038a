package dev.autopilot.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.autopilot.agent.cluster.Role;
import dev.autopilot.agent.ha.Outcome;
import dev.autopilot.agent.lifecycle.AgentLifecycle;
import dev.autopilot.storage.fs.DirectorySnapshotStore;
import dev.autopilot.supervisor.health.HealthStatus;
import dev.autopilot.supervisor.job.JobState;
import dev.autopilot.supervisor.metrics.SupervisorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code GET /metrics} serves, parsed back from the text format: every family follows the Prometheus naming rules
 * ({@link MetricConventions}), docs/operations.md lists every one, and every metric the suggested alerts use exists.
 */
class MetricsExpositionTest {
    private static final Path DOCS = Path.of("..", "docs", "operations.md");
    private static final Path ALERTS = Path.of("..", "deploy", "prometheus-alerts.yml");

    @TempDir
    Path objects;

    /** The agent's registry with every meter registered and each store request made once. */
    private String scrape() throws IOException {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ClusterMetrics metrics = new ClusterMetrics(registry, "c1", "db1", true);
        new AgentLifecycle("db1", registry);
        SupervisorMetrics supervisor = new SupervisorMetrics(registry);
        supervisor.jobAdded("mariadbd", () -> JobState.RUNNING, () -> HealthStatus.HEALTHY);
        supervisor.healthChecked("mariadbd", Duration.ofMillis(3), true);
        metrics.leadership(() -> true, () -> Duration.ofSeconds(4), () -> false);
        metrics.backups(() -> Optional.of(Instant.now().minusSeconds(60)), Duration.ofHours(1), () -> 1024L,
                () -> Optional.of(Instant.now()));
        metrics.cycled(Readings.cycle(new Outcome.PromotedSelf("db2", "lock was free"), Role.PRIMARY,
                Readings.primary("0-1-20,1-1-3", false), Readings.view("db1", "0-1-20,1-1-3", false)));
        try (var store = metrics.objectStore(new DirectorySnapshotStore(objects))) {
            store.put("a/b", new ByteArrayInputStream(new byte[10]), Map.of());
            store.list("a/");
        }
        return registry.scrape();
    }

    @Test
    void everyFamilyFollowsThePrometheusNamingRules() throws IOException {
        Exposition exposition = Exposition.parse(scrape());

        assertThat(MetricConventions.problems(exposition)).isEmpty();
        assertThat(exposition.families()).hasSizeGreaterThan(30);
        assertThat(exposition.families().get("autopilot_ha_cycle_seconds").type()).isEqualTo("histogram");
        assertThat(exposition.families().get("autopilot_failovers_total").type()).isEqualTo("counter");
        assertThat(exposition.families().get("autopilot_store_request_seconds").type()).isEqualTo("summary");
        assertThat(exposition.samples()).allSatisfy(s -> assertThat(s.labels()).containsEntry("cluster", "c1").containsEntry("member", "db1"));
    }

    @Test
    void theRulesRejectBadNamesUnitsTypesAndLabels() {
        String bad = """
                # HELP autopilot_failover_ms how long
                # TYPE autopilot_failover_ms gauge
                autopilot_failover_ms 12.0
                # HELP autopilot_promotions promotions
                # TYPE autopilot_promotions counter
                autopilot_promotions 3.0
                # HELP autopilot_lag_total lag
                # TYPE autopilot_lag_total gauge
                autopilot_lag_total 1.0
                # HELP autopilot_snapshot_age how old
                # TYPE autopilot_snapshot_age gauge
                autopilot_snapshot_age{gtid="0-1-5"} 1.0
                # TYPE autopilot_CamelCase gauge
                autopilot_CamelCase 1.0
                autopilot_untyped 1.0
                # HELP autopilot_cycle_seconds cycles
                # TYPE autopilot_cycle_seconds histogram
                autopilot_cycle_seconds_bucket{le="1.0"} 3.0
                autopilot_cycle_seconds_bucket{le="0.5"} 2.0
                autopilot_cycle_seconds_count 3.0
                autopilot_cycle_seconds_sum 1.0
                """;

        assertThat(MetricConventions.problems(Exposition.parse(bad))).anySatisfy(p -> assertThat(p).startsWith("autopilot_failover_ms: unit 'ms'"))
                .anySatisfy(p -> assertThat(p).isEqualTo("autopilot_promotions: a counter must end in _total"))
                .anySatisfy(p -> assertThat(p).startsWith("autopilot_lag_total: only counters end in _total"))
                .anySatisfy(p -> assertThat(p).isEqualTo("autopilot_snapshot_age: names a time, so it must end in _seconds"))
                .anySatisfy(p -> assertThat(p).startsWith("autopilot_snapshot_age: label 'gtid' carries unbounded values"))
                .anySatisfy(p -> assertThat(p).startsWith("autopilot_CamelCase: not autopilot_ followed by snake-case"))
                .anySatisfy(p -> assertThat(p).isEqualTo("autopilot_CamelCase: no # HELP text"))
                .anySatisfy(p -> assertThat(p).isEqualTo("autopilot_untyped: sample without a # TYPE line for its family"))
                .anySatisfy(p -> assertThat(p).startsWith("autopilot_cycle_seconds{}: buckets not in increasing"))
                .anySatisfy(p -> assertThat(p).isEqualTo("autopilot_cycle_seconds{}: no le=\"+Inf\" bucket"));
    }

    @Test
    void docsListEveryMetricAndTheSuggestedAlertsUseOnlyMetricsThatExist() throws IOException {
        Exposition exposition = Exposition.parse(scrape());
        String docs = Files.readString(DOCS);
        Set<String> undocumented = new TreeSet<>();
        for (String family : exposition.families().keySet()) {
            if (!family.startsWith("autopilot_job_") && !family.startsWith("autopilot_health_check_") && !docs.contains("`" + family)) {
                undocumented.add(family); // the supervisor's own meters are in docs/supervisor.md
            }
        }
        assertThat(undocumented).as("metrics missing from " + DOCS).isEmpty();

        Set<String> unknown = new TreeSet<>();
        Set<String> known = new TreeSet<>(exposition.families().keySet());
        exposition.samples().forEach(s -> known.add(s.name()));
        Matcher m = Pattern.compile("autopilot_[a-z0-9_]+").matcher(Files.readString(ALERTS));
        while (m.find()) {
            if (!known.contains(m.group())) {
                unknown.add(m.group());
            }
        }
        assertThat(unknown).as("metrics named in " + ALERTS + " that the agent does not serve").isEmpty();
    }
}
