package dev.autopilot.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.autopilot.cli.local.Prerequisites;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commands run in-process where no cluster is needed: usage errors, unreachable stores and agents, the
 * supervisor's control plane against a real supervisor, missing prerequisites. Each asserts the exit code and
 * the one line that says what failed and what to do. (Commands against a running cluster: LocalClusterTest.)
 */
class CliCommandsTest {

    @Test
    void withoutArgumentsItPrintsUsageAndEveryCommand() {
        CliRun r = CliRun.of();
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("agent", "status", "switchover", "failover", "pause", "resume", "backup", "backups",
                "restore", "local", "supervise", "ctl");
    }

    @Test
    void clusterCommandsWithoutAClusterSayHowToNameOne(@TempDir Path empty) {
        for (String cmd : List.of("status", "switchover", "pause", "resume", "backup")) {
            CliRun r = CliRun.of(cmd, "--dir", empty.toString());
            assertThat(r.exit()).as(r.toString()).isEqualTo(ExitCodes.USAGE);
            assertThat(r.err().strip().lines()).as(r.toString()).hasSize(1);
            assertThat(r.err()).contains("autopilot " + cmd + ": no cluster given: use --config agent.yaml");
        }
    }

    @Test
    void anUnreachableStoreExitsWithUnreachableAndNamesTheEndpoint() {
        CliRun r = CliRun.of("status", "--etcd", "http://127.0.7.250:2379", "--cluster", "nowhere");
        assertThat(r.exit()).as(r.toString()).isEqualTo(ExitCodes.UNREACHABLE);
        assertThat(r.err()).contains("autopilot status: coordination store http://127.0.7.250:2379 unreachable");
    }

    @Test
    void mutatingCommandsWithoutATokenSayWhereToPutIt() {
        CliRun r = CliRun.of("switchover", "--etcd", "http://127.0.7.250:2379", "--cluster", "c");
        assertThat(r.exit()).as(r.toString()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("needs the operator token", "--token-file", "AUTOPILOT_CLUSTER_TOKEN_FILE");
    }

    @Test
    void badOptionsAreUsageErrors() {
        assertThat(CliRun.of("failover").exit()).as("--to is required").isEqualTo(ExitCodes.USAGE);
        CliRun r = CliRun.of("status", "--watch", "soon", "--etcd", "http://127.0.7.250:2379", "--cluster", "c");
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("'soon' is not a duration");
        assertThat(CliRun.of("local", "up", "-n", "12").exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(CliRun.of("etcd", "--etcd", "http://127.0.7.250:2379", "--cluster").exit()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void anInvalidAgentConfigListsItsProblemsAndExits2(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("agent.yaml");
        Files.writeString(config, "cluster: c\nmember:\n  name: Bad_Name\n");
        CliRun agent = CliRun.of("agent", "--config", config.toString());
        assertThat(agent.exit()).as(agent.toString()).isEqualTo(2);
        assertThat(agent.err()).contains("member.name: 'Bad_Name'", "member.address: missing");
        CliRun status = CliRun.of("status", "--config", config.toString());
        assertThat(status.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(status.err()).contains("is invalid", "member.address: missing");
    }

    @Test
    void localCommandsWithoutALocalClusterSaySoAndHowToStartOne(@TempDir Path dir) {
        for (String[] args : new String[][] {{"down"}, {"kill", "db1"}, {"start", "db1"}, {"partition", "db1"}}) {
            String[] full = new String[args.length + 3];
            full[0] = "local";
            System.arraycopy(args, 0, full, 1, args.length);
            full[args.length + 1] = "--dir";
            full[args.length + 2] = dir.toString();
            CliRun r = CliRun.of(full);
            assertThat(r.exit()).as(r.toString()).isEqualTo(ExitCodes.FAILED);
            assertThat(r.err()).contains("no local cluster in " + dir, "autopilot local up");
        }
    }

    @Test
    void missingPrerequisitesNameTheDebianPackagesToInstall(@TempDir Path emptyPath) {
        Prerequisites none = new Prerequisites(List.of(emptyPath), Optional.empty());
        assertThat(none.missing()).contains("etcd", "mariadbd", "haproxy");
        try {
            none.ensure();
            org.junit.jupiter.api.Assertions.fail("ensure() must fail when programs are missing");
        } catch (CommandFailure f) {
            assertThat(f.exitCode()).isEqualTo(ExitCodes.FAILED);
            assertThat(f.getMessage()).contains("sudo apt-get install -y etcd-server haproxy mariadb-backup mariadb-server util-linux");
        }
        assertThat(Prerequisites.of(Map.of("PATH", "/usr/bin:/bin")).missing()).as("this machine has them all").isEmpty();
    }

    @Test
    void ctlTalksToARunningSupervisorAndSaysWhenNoneListens(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("ctl.sock");
        CliRun none = CliRun.of("ctl", "--socket", socket.toString(), "ping");
        assertThat(none.exit()).isEqualTo(ExitCodes.UNREACHABLE);
        assertThat(none.err()).contains("no supervisor listening on " + socket);
        assertThat(CliRun.of("ctl", "--socket", socket.toString(), "explode").exit()).isEqualTo(ExitCodes.USAGE);

        Path config = dir.resolve("supervise.yaml");
        Path stop = dir.resolve("stop");
        Files.writeString(config, "main: waiter\njobs:\n  - name: waiter\n    exec: [sh, -c, \"while [ ! -f " + stop
                + " ]; do sleep 0.1; done\"]\n");
        var supervised = new java.util.concurrent.CompletableFuture<CliRun>();
        Thread.ofVirtual().start(() -> supervised.complete(CliRun.of("supervise", "--config", config.toString(),
                "--control-socket", socket.toString())));
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> CliRun.of("ctl", "--socket", socket.toString(), "ping").exit() == 0);
            CliRun status = CliRun.of("ctl", "--socket", socket.toString(), "status");
            assertThat(status.exit()).as(status.toString()).isZero();
            assertThat(status.out()).contains("waiter");
        } finally {
            Files.writeString(stop, "");
        }
        CliRun done = supervised.get(20, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(done.exit()).as("the main job's exit status").as(done.toString()).isZero();
    }
}
