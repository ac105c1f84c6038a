package dev.autopilot.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.autopilot.supervisor.config.SupervisorConfig;
import dev.autopilot.supervisor.event.Event;
import dev.autopilot.supervisor.event.EventKind;
import dev.autopilot.supervisor.health.HealthCheck;
import dev.autopilot.supervisor.health.HealthResult;
import dev.autopilot.supervisor.health.HealthSpec;
import dev.autopilot.supervisor.health.HealthStatus;
import dev.autopilot.supervisor.job.Job;
import dev.autopilot.supervisor.job.JobSpec;
import dev.autopilot.supervisor.job.JobState;
import dev.autopilot.supervisor.job.RestartPolicy;
import dev.autopilot.supervisor.job.When;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Jobs with real processes inside one in-process supervisor. About 8 s in total. */
@Timeout(60)
class JobLifecycleTest {
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger jobLogger = (Logger) LoggerFactory.getLogger(Job.class);

    @TempDir
    Path dir;

    @BeforeEach
    void captureJobLog() {
        log.start();
        jobLogger.addAppender(log);
    }

    @AfterEach
    void releaseJobLog() {
        jobLogger.detachAppender(log);
    }

    private List<ILoggingEvent> logOf(String job, String containing) {
        return log.list.stream().filter(e -> e.getFormattedMessage().startsWith("job " + job + ":")
                && e.getFormattedMessage().contains(containing)).toList();
    }

    @Test
    void crashingJobIsRestartedWithGrowingBackoffThenGivenUpWithOneLogLine() throws Exception {
        JobSpec crashy = JobSpec.command("crashy", List.of("/bin/sh", "-c", "exit 4"))
                .withRestart(RestartPolicy.of(RestartPolicy.Mode.ON_FAILURE, 3, Duration.ofMillis(200), Duration.ofSeconds(10)));
        try (Harness h = new Harness(SupervisorConfig.of(List.of(crashy), null), Map.of())) {
            h.supervisor.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> h.supervisor.status("crashy").orElseThrow().state() == JobState.FAILED);

            List<ILoggingEvent> exits = logOf("crashy", "exited with status 4");
            List<ILoggingEvent> starts = logOf("crashy", "started pid");
            assertThat(starts).hasSize(4);
            assertThat(exits).hasSize(4);
            long[] gaps = new long[3];
            for (int i = 0; i < 3; i++) {
                gaps[i] = starts.get(i + 1).getTimeStamp() - exits.get(i).getTimeStamp();
                long planned = 200L << i; // 200ms, 400ms, 800ms
                assertThat(gaps[i]).as("gap before restart %d", i + 1).isGreaterThanOrEqualTo(planned - 2);
                assertThat(exits.get(i).getFormattedMessage()).endsWith("restart " + (i + 1) + "/3 in " + planned + "ms");
            }
            assertThat(gaps[2]).isGreaterThan(gaps[0]);

            List<ILoggingEvent> errors = log.list.stream().filter(e -> e.getLevel() == Level.ERROR).toList();
            assertThat(errors).hasSize(1);
            assertThat(errors.getFirst().getFormattedMessage()).isEqualTo("job crashy: exited with status 4; giving up"
                    + " after 3 restarts in a row (restart.limit 3), it will not be started again");
            assertThat(h.supervisor.status("crashy").orElseThrow().restarts()).isEqualTo(3);
            assertThat(h.registry.scrape()).contains("autopilot_job_restarts_total{job=\"crashy\"} 3.0")
                    .contains("autopilot_job_state{job=\"crashy\",state=\"failed\"} 1.0");
        }
    }

    @Test
    void healthCheckGatesDependentJobAndStopSequenceRunsInReverseDependencyOrder() throws Exception {
        Path ready = dir.resolve("ready");
        AtomicInteger builtinCalls = new AtomicInteger();
        HealthCheck probe = () -> {
            builtinCalls.incrementAndGet();
            return HealthResult.ok();
        };
        JobSpec db = JobSpec.command("db", List.of("/bin/sleep", "60"))
                .withHealth(new HealthSpec(new HealthSpec.Command(List.of("/bin/test", "-f", ready.toString())),
                        Duration.ofMillis(100), Duration.ofSeconds(2), 2, 1));
        JobSpec app = JobSpec.command("app", List.of("/bin/sleep", "60")).withWhen(When.once("db", EventKind.HEALTHY));
        JobSpec sidecar = JobSpec.command("sidecar", List.of("/bin/sleep", "60"))
                .withHealth(HealthSpec.builtin("probe", Duration.ofMillis(100), Duration.ofSeconds(1)));
        try (Harness h = new Harness(SupervisorConfig.of(List.of(db, app, sidecar), null), Map.of("probe", probe))) {
            h.supervisor.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> h.eventsOf("db").contains(new Event(EventKind.UNHEALTHY, "db")));
            assertThat(h.supervisor.status("app").orElseThrow().state()).isEqualTo(JobState.WAITING);

            Files.writeString(ready, "yes");
            await().atMost(Duration.ofSeconds(10)).until(() -> h.supervisor.status("app").orElseThrow().state() == JobState.RUNNING);
            assertThat(h.supervisor.status("db").orElseThrow().health()).isEqualTo(HealthStatus.HEALTHY);
            await().atMost(Duration.ofSeconds(10)).until(() -> h.supervisor.status("sidecar").orElseThrow().health() == HealthStatus.HEALTHY);
            assertThat(builtinCalls.get()).isPositive();

            Files.delete(ready);
            await().atMost(Duration.ofSeconds(10)).until(() -> h.supervisor.status("db").orElseThrow().health() == HealthStatus.UNHEALTHY);
            assertThat(h.registry.scrape()).containsPattern("autopilot_health_check_seconds_count\\{job=\"db\",result=\"unhealthy\"} [1-9]")
                    .containsPattern("autopilot_health_check_seconds_count\\{job=\"db\",result=\"healthy\"} [1-9]");

            h.supervisor.stop();
            List<Event> order = h.events.stream().map(Harness.Seen::event)
                    .filter(e -> e.kind() == EventKind.STOPPING || e.kind() == EventKind.STOPPED).toList();
            assertThat(order.indexOf(new Event(EventKind.STOPPED, "app")))
                    .isLessThan(order.indexOf(new Event(EventKind.STOPPING, "db")));
            assertThat(h.supervisor.status()).allSatisfy(s -> assertThat(s.state()).isEqualTo(JobState.STOPPED));
        }
    }

    @Test
    void oneShotJobThatOverrunsItsTimeoutIsKilledAndCountsAsFailed() throws Exception {
        JobSpec slow = JobSpec.command("slow", List.of("/bin/sleep", "30")).withTimeout(Duration.ofMillis(300));
        try (Harness h = new Harness(SupervisorConfig.of(List.of(slow), null), Map.of())) {
            h.supervisor.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> h.eventsOf("slow").contains(new Event(EventKind.EXIT_FAILED, "slow")));
            assertThat(h.supervisor.status("slow").orElseThrow().lastExit()).isEqualTo(128 + 15);
            assertThat(logOf("slow", "still running after its timeout of 300ms")).hasSize(1);
        }
    }

    @Test
    void outputIsForwardedLineByLineTaggedWithTheJobNameAndIntervalJobsRepeat() throws Exception {
        JobSpec talk = JobSpec.command("talk", List.of("/bin/sh", "-c", "echo one; echo two; echo \"$GREETING from $(pwd)\" >&2"))
                .withEnv(Map.of("GREETING", "hello")).withWorkdir(dir);
        JobSpec tick = JobSpec.command("tick", List.of("/bin/echo", "tick")).withWhen(When.every(Duration.ofMillis(100)));
        try (Harness h = new Harness(SupervisorConfig.of(List.of(talk, tick), null), Map.of())) {
            h.supervisor.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> h.output.contains("talk: hello from " + dir)
                    && h.output.stream().filter(l -> l.equals("tick: tick")).count() >= 3);
            assertThat(h.output.stream().filter(l -> l.startsWith("talk: ")).toList())
                    .containsExactlyInAnyOrder("talk: one", "talk: two", "talk: hello from " + dir);
            assertThat(h.output).filteredOn(l -> l.startsWith("talk: ")).containsSubsequence("talk: one", "talk: two");
            assertThat(h.eventsOf("tick")).filteredOn(e -> e.kind() == EventKind.TIMER).hasSizeGreaterThanOrEqualTo(3);
        }
    }
}
