package dev.autopilot.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The supervisor as PID 1 of a fresh PID namespace ({@code unshare --pid --fork --mount-proc}, a separate
 * JVM), as in a container. Needs root (or unprivileged user namespaces). About 10 s.
 */
@Timeout(90)
class Pid1Test {
    @TempDir
    Path dir;

    private Process unshare;
    private final List<String> output = new CopyOnWriteArrayList<>();

    @AfterEach
    void killEverything() {
        if (unshare != null) {
            unshare.descendants().forEach(ProcessHandle::destroyForcibly);
            unshare.destroyForcibly();
        }
    }

    private Process startAsPid1(String yaml) throws IOException {
        Path config = Files.writeString(dir.resolve("supervisor.yaml"), yaml);
        List<String> cmd = new ArrayList<>(List.of("unshare", "--pid", "--fork", "--mount-proc",
                ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-cp", System.getProperty("java.class.path"), SupervisorMain.class.getName(),
                "--config", config.toString(), "--control-socket", dir.resolve("ctl.sock").toString()));
        unshare = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(unshare.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l = r.readLine(); l != null; l = r.readLine()) {
                    output.add(l);
                }
            } catch (IOException e) {
                // process gone
            }
        });
        return unshare;
    }

    private long count(String fragment) {
        return output.stream().filter(l -> l.contains(fragment)).count();
    }

    private int indexOf(String fragment) {
        for (int i = 0; i < output.size(); i++) {
            if (output.get(i).contains(fragment)) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void asPid1OrphansAreReapedWhileOwnChildrenKeepTheirExitStatusAndMainStatusBecomesOurs() throws Exception {
        Path orphanPid = dir.resolve("orphan.pid");
        String script = String.join("\n",
                // The inner shell exits at once: its background sleep is orphaned and re-parented to PID 1.
                "/bin/sh -c '/bin/sleep 0.5 & echo $! > " + orphanPid + "'",
                "echo orphan-ppid=$(cut -d' ' -f4 /proc/$(cat " + orphanPid + ")/stat)",
                "sleep 2",
                "i=0; z=1",
                "while [ $i -lt 50 ]; do",
                "  z=$(grep -l '^State:.Z' /proc/[0-9]*/status 2>/dev/null | wc -l)",
                "  [ \"$z\" = 0 ] && break",
                "  i=$((i+1)); sleep 0.1",
                "done",
                "echo zombies=$z",
                "exit 7");
        Process p = startAsPid1("""
            main: main
            jobs:
              - name: main
                exec: ["/bin/sh", "-c", %s]
              - name: quick
                exec: ["/bin/sh", "-c", "exit 5"]
                when: {interval: 200ms}
            """.formatted(quote(script)));
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("supervisor exits").isTrue();
        String all = String.join("\n", output);
        assertThat(p.exitValue()).as(all).isEqualTo(7);
        assertThat(all).contains("[main] orphan-ppid=1").contains("[main] zombies=0").contains("reaped orphaned process")
                .contains("supervisor stopped; exit code 7");
        assertThat(count("job quick: exited with status 5")).isGreaterThanOrEqualTo(5);
        assertThat(count("job quick: exited with status 0")).isZero();
    }

    @Test
    void sigtermToPid1StopsEveryJobWithinItsStopTimeoutAndExitsWithMainStatus() throws Exception {
        Process p = startAsPid1("""
            main: polite
            jobs:
              - name: polite
                exec: [/bin/sleep, "600"]
              - name: stubborn
                exec: ["/bin/sh", "-c", "trap '' TERM; echo ready; while true; do sleep 0.1; done"]
                stopTimeout: 1s
              - name: dependent
                exec: [/bin/sleep, "600"]
                when: {source: stubborn, once: started}
            """);
        await().atMost(Duration.ofSeconds(30)).until(() -> count("[stubborn] ready") == 1
                && count("job dependent: started") == 1 && count("job polite: started") == 1);
        ProcessHandle pid1 = p.children().findFirst().orElseThrow(); // the JVM, PID 1 inside the namespace
        assertThat(pid1.destroy()).isTrue(); // SIGTERM
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("supervisor exits after SIGTERM").isTrue();
        String all = String.join("\n", output);
        assertThat(p.exitValue()).as(all).isEqualTo(128 + 15);
        assertThat(all).contains("received SIGTERM")
                .contains("job stubborn: did not stop within 1s after SIGTERM; killed its process group with SIGKILL")
                .contains("job polite: stopped (exit status 143)")
                .contains("supervisor stopped; exit code 143");
        assertThat(indexOf("job dependent: stopped")).as(all).isPositive().isLessThan(indexOf("job stubborn: stopping"));
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }
}
