package dev.autopilot.backup.pitr;

import dev.autopilot.mysql.config.MemberIdentity;
import dev.autopilot.mysql.config.ServerSettings;
import dev.autopilot.mysql.server.LocalServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The private server a point-in-time restore runs has no grant checks, so whoever reaches it is all-powerful: on a
 * real mariadbd, it answers on its socket only, and that socket lies in a directory only its owner can enter.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PrivateRestoreServerTest {

    @Test
    void thePrivateServerListensOnItsSocketOnlyInsideAPrivateDirectory() throws Exception {
        Path base = Files.createDirectories(Path.of("target", "it", "PrivateRestoreServerTest").toAbsolutePath());
        dev.autopilot.mysql.server.DataDirectory.delete(base.resolve("data"));
        dev.autopilot.mysql.server.DataDirectory.delete(base.resolve("run"));
        ServerSettings settings = PointInTimeRestore.temporaryServer(MemberIdentity.random(), base.resolve("data"), base.resolve("run"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(settings.runDir()))).isEqualTo("rwx------");

        try (LocalServer server = new LocalServer(settings)) {
            server.initialise(Duration.ofMinutes(1));
            server.start(Duration.ofMinutes(1));
            assertThat(query(settings, "SELECT @@skip_networking")).isEqualTo("1");
            assertThat(settings.socket()).startsWith(settings.runDir());
            assertThatThrownBy(() -> {
                try (Socket tcp = new Socket()) {
                    tcp.connect(new InetSocketAddress(settings.bindAddress(), settings.port()), 1000);
                }
            }).as("TCP " + settings.bindAddress() + ":" + settings.port()).isInstanceOf(IOException.class);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(settings.runDir()))).isEqualTo("rwx------");
        }
    }

    private static String query(ServerSettings settings, String sql) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of("mariadb", "--no-defaults", "-uroot", "--socket=" + settings.socket(), "-N", "-B", "-e", sql))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }
}
