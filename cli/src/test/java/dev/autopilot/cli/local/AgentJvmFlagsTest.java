package dev.autopilot.cli.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The agent's JVM flags live in three places: bin/jdk.sh ({@code autopilot_jvm_flags agent}, bin/autopilot and the
 * benches), deploy/autopilot (containers) and {@link LocalMemberCommand#AGENT_JVM_FLAGS} (local mode). They must agree.
 */
class AgentJvmFlagsTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void launcherContainerAndLocalModeStartTheAgentWithTheSameFlags(@TempDir Path tmp) throws Exception {
        Set<String> local = new TreeSet<>(LocalMemberCommand.AGENT_JVM_FLAGS);

        List<String> launcher = run(List.of("bash", "-c", ". bin/jdk.sh; autopilot_jvm_flags agent; printf '%s\\n' \"${AUTOPILOT_JVM_FLAGS[@]}\""), Map.of());
        Set<String> launcherFlags = new TreeSet<>(launcher);
        launcherFlags.remove("-Xshare:auto"); // the JVM's default, spelled out in the launcher only

        // deploy/autopilot execs $JAVA_HOME/bin/java: a stand-in prints the arguments it was given.
        Path java = Files.createDirectories(tmp.resolve("bin")).resolve("java");
        Files.writeString(java, "#!/bin/sh\nprintf '%s\\n' \"$@\"\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        List<String> container = run(List.of("sh", "deploy/autopilot", "agent"),
                Map.of("JAVA_HOME", tmp.toString(), "AUTOPILOT_MEMBER_ADDRESS", "127.0.0.1"));
        Set<String> containerFlags = new TreeSet<>(container.subList(0, container.indexOf("-cp")));

        assertThat(launcherFlags).as("bin/jdk.sh against LocalMemberCommand").isEqualTo(local);
        assertThat(containerFlags).as("deploy/autopilot against LocalMemberCommand").isEqualTo(local);
        // C2 stays: the agent's TLS (S3 over HTTPS) encrypts with AES-GCM, whose intrinsics only C2 has (docs/why.md).
        assertThat(local).as("the agent keeps C2").doesNotContain("-XX:TieredStopAtLevel=1");
    }

    private static List<String> run(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        var pb = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true);
        pb.environment().remove("AUTOPILOT_JAVA_OPTS");
        pb.environment().putAll(env);
        Process p = pb.start();
        List<String> lines = new ArrayList<>(new String(p.getInputStream().readAllBytes()).lines().toList());
        assertThat(p.waitFor()).as("%s: %s", command, lines).isZero();
        return lines;
    }
}
