package dev.autopilot.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.autopilot.supervisor.control.ControlClient;
import dev.autopilot.supervisor.control.ControlResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code SupervisorMain} in-process with a YAML file, driven through its control socket like
 * {@code autopilot ctl}: ping, status, reload (only the changed job restarts, by PIDs), a rejected
 * reload, maintenance, the metrics endpoint (127.0.1.1, this module's test subnet). About 4 s.
 */
@Timeout(60)
class ControlPlaneTest {
    @TempDir
    Path dir;

    private String config(String changingVersion, boolean withRemoved, boolean withFresh) {
        return """
            main: waiter
            control: {socket: %s}
            metrics: {listen: "127.0.1.1:9090"}
            jobs:
              - name: waiter
                exec: ["/bin/sh", "-c", "while [ ! -f %s ]; do sleep 0.1; done"]
              - name: steady
                exec: [/bin/sleep, "600"]
              - name: changing
                exec: [/bin/sleep, "600"]
                env: {VERSION: "%s"}
            """.formatted(dir.resolve("ctl.sock"), dir.resolve("STOP"), changingVersion)
                + (withRemoved ? "  - {name: removed, exec: [/bin/sleep, \"600\"]}\n" : "")
                + (withFresh ? "  - {name: fresh, exec: [/bin/sleep, \"600\"]}\n" : "");
    }

    private static Map<String, Long> pids(ControlResponse status) {
        return status.lines().stream().filter(l -> l.contains("pid=") && !l.contains("pid=-"))
                .collect(Collectors.toMap(l -> l.split("\\s+")[0],
                        l -> Long.parseLong(l.replaceAll(".*pid=(\\d+).*", "$1"))));
    }

    @Test
    void reloadWithOneChangedJobRestartsOnlyThatJob() throws Exception {
        Path file = Files.writeString(dir.resolve("supervisor.yaml"), config("1", true, false));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> SupervisorMain.run(
                List.of("--config", file.toString()), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8)));
        ControlClient ctl = new ControlClient(dir.resolve("ctl.sock"));
        try {
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
                    .until(() -> pids(ctl.status()).keySet().containsAll(List.of("waiter", "steady", "changing", "removed")));
            assertThat(ctl.ping()).isEqualTo(new ControlResponse(true, List.of("pong")));
            Map<String, Long> before = pids(ctl.status());

            Files.writeString(file, config("2", false, true));
            ControlResponse reload = ctl.reload();
            assertThat(reload.ok()).isTrue();
            assertThat(reload.lines()).containsExactly(
                    "unchanged [waiter, steady], restarted [changing], added [fresh], removed [removed]");
            await().atMost(Duration.ofSeconds(10)).until(() -> pids(ctl.status()).keySet()
                    .equals(java.util.Set.of("waiter", "steady", "changing", "fresh")));
            Map<String, Long> after = pids(ctl.status());
            assertThat(after.get("steady")).isEqualTo(before.get("steady"));
            assertThat(after.get("waiter")).isEqualTo(before.get("waiter"));
            assertThat(after.get("changing")).isNotEqualTo(before.get("changing"));
            assertThat(ProcessHandle.of(before.get("changing"))).isEmpty();
            assertThat(ProcessHandle.of(before.get("removed"))).isEmpty();
            assertThat(Files.readString(Path.of("/proc/" + after.get("changing") + "/environ"))).contains("VERSION=2");

            Files.writeString(file, config("3", false, true).replace("/bin/sleep, \"600\"]\n    env", "/bin/sleep, \"600\"]\n    colour: red\n    env"));
            ControlResponse rejected = ctl.reload();
            assertThat(rejected.ok()).isFalse();
            assertThat(rejected.lines()).contains("jobs[changing].colour: unknown key (known keys: name, exec, env, workdir,"
                    + " user, when, restart, timeout, stopTimeout, stopSignal, forwardSignals, health)");
            assertThat(pids(ctl.status())).isEqualTo(after);

            assertThat(ctl.maintenance(true).lines()).containsExactly("maintenance on");
            assertThat(ctl.status().lines()).startsWith("maintenance on");
            assertThat(ctl.send("dance").ok()).isFalse();

            HttpResponse<String> scrape = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.1.1:9090/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(scrape.statusCode()).isEqualTo(200);
            assertThat(scrape.body()).contains("autopilot_job_state{job=\"steady\",state=\"running\"} 1.0")
                    .doesNotContain("job=\"removed\"");

            Files.writeString(dir.resolve("STOP"), "");
            assertThat(exit.get(20, java.util.concurrent.TimeUnit.SECONDS)).isZero();
            assertThat(ProcessHandle.of(after.get("steady"))).isEmpty();
        } finally {
            Files.writeString(dir.resolve("STOP"), "");
            exit.get(30, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    @Test
    void clientReportsClearlyWhenNoSupervisorListens() {
        ControlClient ctl = new ControlClient(dir.resolve("nobody.sock"));
        org.assertj.core.api.Assertions.assertThatThrownBy(ctl::ping).isInstanceOf(IOException.class)
                .hasMessageContaining("no supervisor listening on " + dir.resolve("nobody.sock"));
    }
}
