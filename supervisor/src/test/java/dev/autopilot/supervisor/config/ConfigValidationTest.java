package dev.autopilot.supervisor.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.autopilot.supervisor.SupervisorMain;
import dev.autopilot.supervisor.event.EventKind;
import dev.autopilot.supervisor.health.HealthSpec;
import dev.autopilot.supervisor.job.JobSpec;
import dev.autopilot.supervisor.job.RestartPolicy;
import dev.autopilot.supervisor.job.When;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Pure parsing and validation: every invalid configuration names its path; valid ones build JobSpecs. */
class ConfigValidationTest {
    private static final Map<String, String> ENV = Map.of("PATH", "/usr/bin:/bin", "DB_PORT", "3307");

    @TempDir
    Path dir;

    private static List<String> problems(String yaml) {
        try {
            new ConfigLoader(ENV, Set.of("mysql")).parse(yaml);
        } catch (ConfigException e) {
            return e.problems();
        }
        throw new AssertionError("expected the configuration to be rejected:\n" + yaml);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
        unknown key            | jobs: [{name: db, exec: [/bin/true], restrat: always}]                          | jobs[db].restrat: unknown key
        unknown top-level key  | jobz: []                                                                           | jobz: unknown key
        wrong type             | jobs: [{name: db, exec: [/bin/true], env: [A, B]}]                                 | jobs[db].env: expected a mapping, got a list
        wrong type for limit   | jobs: [{name: db, exec: [/bin/true], restart: {limit: many}}]                      | jobs[db].restart.limit: expected an integer, got 'many'
        missing exec           | jobs: [{name: db}]                                                                 | jobs[db].exec: missing
        missing name           | jobs: [{exec: [/bin/true]}]                                                        | jobs[0].name: missing
        missing jobs           | main: db                                                                           | jobs: missing
        bad duration           | jobs: [{name: db, exec: [/bin/true], health: {exec: [/bin/true], interval: 5}}]   | jobs[db].health.interval: '5' is not a duration
        bad duration unit      | jobs: [{name: db, exec: [/bin/true], stopTimeout: 3 days}]                         | jobs[db].stopTimeout: '3 days' is not a duration
        missing executable     | jobs: [{name: db, exec: [/no/such/mysqld]}]                                        | jobs[db].exec[0]: program '/no/such/mysqld' does not exist
        not on PATH            | jobs: [{name: db, exec: [no-such-program-xyz]}]                                    | jobs[db].exec[0]: program 'no-such-program-xyz' not found on PATH
        missing health program | jobs: [{name: db, exec: [/bin/true], health: {exec: [/no/check]}}]                 | jobs[db].health.exec[0]: program '/no/check' does not exist
        unknown builtin        | jobs: [{name: db, exec: [/bin/true], health: {builtin: pg}}]                       | jobs[db].health.builtin: unknown built-in check 'pg' (available: mysql)
        unknown event kind     | jobs: [{name: a, exec: [/bin/true], when: {source: b, once: ready}}, {name: b, exec: [/bin/true]}] | jobs[a].when.once: unknown event kind 'ready'
        unknown source         | jobs: [{name: a, exec: [/bin/true], when: {source: nope, once: exitSuccess}}]      | jobs[a].when.source: no job named 'nope'
        healthy without check  | jobs: [{name: a, exec: [/bin/true], when: {source: b, once: healthy}}, {name: b, exec: [/bin/true]}] | jobs[a].when.source: job 'b' has no health check
        unset variable         | jobs: [{name: db, exec: [/bin/echo, '${NO_SUCH_VAR}']}]                            | jobs[db].exec[1]: environment variable NO_SUCH_VAR is not set
        unknown restart policy | jobs: [{name: db, exec: [/bin/true], restart: sometimes}]                          | jobs[db].restart: unknown restart policy 'sometimes'
        unknown signal         | jobs: [{name: db, exec: [/bin/true], stopSignal: SIGFOO}]                          | jobs[db].stopSignal: unknown signal 'SIGFOO'
        duplicate name         | jobs: [{name: db, exec: [/bin/true]}, {name: db, exec: [/bin/true]}]               | jobs[db].name: duplicate job name 'db'
        unknown main           | {main: app, jobs: [{name: db, exec: [/bin/true]}]}                                  | main: no job named 'app'
        duplicate key          | {jobs: [{name: db, exec: [/bin/true], exec: [/bin/false]}]}                       | (file): not valid YAML: found duplicate key exec at line 1
        not yaml               | 'jobs: [unclosed'                                                                  | (file): not valid YAML
        bad metrics listen     | {metrics: {listen: localhost}, jobs: [{name: db, exec: [/bin/true]}]}               | metrics.listen: expected host:port
        """)
    void invalidConfigurationIsRejectedWithItsPath(String scenario, String yaml, String expected) {
        assertThat(problems(yaml)).as(scenario).anySatisfy(p -> assertThat(p).startsWith(expected));
    }

    @Test
    void dependencyCycleIsReportedWithTheWholeCycle() {
        List<String> problems = problems("""
            jobs:
              - {name: a, exec: [/bin/true], when: {source: c, once: exitSuccess}}
              - {name: b, exec: [/bin/true], when: {source: a, once: exitSuccess}}
              - {name: c, exec: [/bin/true], when: {source: b, once: started}}
            """);
        assertThat(problems).containsExactly("jobs[a].when.source: dependency cycle a -> c -> b -> a");
    }

    @Test
    void everyProblemOfOneFileIsListedAtOnce() {
        List<String> problems = problems("""
            jobs:
              - name: db
                exec: [/no/such/mysqld]
                health: {exec: [/bin/true], interval: soon}
                colour: blue
              - name: app
                exec: [/bin/true]
                when: {source: nope, once: healthy}
            """);
        assertThat(problems).hasSize(4).anySatisfy(p -> assertThat(p).startsWith("jobs[db].exec[0]:"))
                .anySatisfy(p -> assertThat(p).startsWith("jobs[db].health.interval:"))
                .anySatisfy(p -> assertThat(p).startsWith("jobs[db].colour: unknown key"))
                .anySatisfy(p -> assertThat(p).startsWith("jobs[app].when.source: no job named 'nope'"));
    }

    @Test
    void validFileBuildsJobSpecsWithEnvironmentInterpolated() throws ConfigException {
        SupervisorConfig c = new ConfigLoader(ENV, Set.of("mysql")).parse("""
            main: db
            stopTimeout: 20s
            jobs:
              - name: db
                exec: [/bin/sleep, "${DB_PORT}"]
                env: {MODE: "${MODE:-primary}", COST: "$$5"}
                restart: {policy: always, limit: "${LIMIT:-4}", backoff: 500ms, maxBackoff: 1m30s}
                health: {builtin: mysql, interval: 2s, timeout: 1s, failures: 2}
                forwardSignals: [HUP, SIGUSR1]
              - name: backup
                exec: /bin/echo backup now
                when: {source: db, once: healthy}
                timeout: 1h
            """);
        JobSpec db = JobSpec.command("db", List.of("/bin/sleep", "3307"))
                .withEnv(Map.of("MODE", "primary", "COST", "$5"))
                .withRestart(new RestartPolicy(RestartPolicy.Mode.ALWAYS, 4, Duration.ofMillis(500),
                        Duration.ofSeconds(90), Duration.ofSeconds(60)))
                .withHealth(new HealthSpec(new HealthSpec.Builtin("mysql"), Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 1))
                .withForwardSignals(Set.of("SIGHUP", "SIGUSR1"))
                .withStop("SIGTERM", Duration.ofSeconds(20));
        JobSpec backup = JobSpec.command("backup", List.of("/bin/echo", "backup", "now"))
                .withWhen(When.once("db", EventKind.HEALTHY)).withTimeout(Duration.ofHours(1))
                .withStop("SIGTERM", Duration.ofSeconds(20));
        assertThat(c.jobs()).containsExactly(db, backup);
        assertThat(c.mainJob()).isEqualTo("db");
    }

    @Test
    void exampleInDocsUsesOnlyValidKeysAndValues() throws IOException {
        String doc = Files.readString(Path.of("../docs/supervisor.md"));
        String yaml = doc.substring(doc.indexOf("```yaml") + 7, doc.indexOf("```", doc.indexOf("```yaml") + 7));
        List<String> problems;
        try {
            new ConfigLoader(ENV, Set.of("mysql")).parse(yaml);
            problems = List.of();
        } catch (ConfigException e) {
            problems = e.problems();
        }
        // The example names programs this machine may lack; anything else would be a drift between doc and code.
        assertThat(problems).allSatisfy(p -> assertThat(p).matches("jobs\\[[a-z-]+]\\.(health\\.)?exec\\[0]: program .*"));
    }

    @Test
    void restartBackoffDoublesUpToItsMaximum() {
        RestartPolicy p = RestartPolicy.of(RestartPolicy.Mode.ON_FAILURE, 5, Duration.ofMillis(100), Duration.ofMillis(350));
        assertThat(List.of(p.delayBefore(1), p.delayBefore(2), p.delayBefore(3), p.delayBefore(4))).containsExactly(
                Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(350), Duration.ofMillis(350));
        assertThat(p.allows(5)).isTrue();
        assertThat(p.allows(6)).isFalse();
    }

    @Test
    void supervisorMainExitsWithCode2AndListsProblemsByPath() throws IOException {
        Path file = Files.writeString(dir.resolve("bad.yaml"), """
            jobs:
              - name: db
                exec: [/bin/true]
                health: {exec: [/bin/true], interval: 10}
            """);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = SupervisorMain.run(List.of("--config", file.toString()), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("is invalid (1 problem)")
                .contains("jobs[db].health.interval: '10' is not a duration");
    }

    @Test
    void programmaticConfigIsCheckedLikeYaml() {
        SupervisorConfig c = SupervisorConfig.of(List.of(
                JobSpec.command("db", List.of("/bin/true")).withHealth(HealthSpec.builtin("mysql", Duration.ofSeconds(1), Duration.ofSeconds(1)))), "db");
        assertThat(ConfigChecks.problems(c, Set.of(), ENV))
                .containsExactly("jobs[db].health.builtin: unknown built-in check 'mysql' (available: none registered)");
        assertThatThrownBy(() -> new dev.autopilot.supervisor.Supervisor(c, Map.of(), new dev.autopilot.supervisor.event.EventBus(),
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), (j, e, l) -> { }, new dev.autopilot.supervisor.process.ChildProcesses()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("jobs[db].health.builtin");
    }
}
