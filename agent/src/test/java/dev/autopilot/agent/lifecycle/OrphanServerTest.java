package dev.autopilot.agent.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.autopilot.mysql.auth.Credentials;
import dev.autopilot.mysql.auth.Secret;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent signals a process only when it is proven to be a server on this member's data directory. */
class OrphanServerTest {

    @Test
    void aPidFileNamingSomeoneElsesProcessIsNeverSignalled(@TempDir Path agentDir) throws Exception {
        Path dataDir = Files.createDirectories(agentDir.resolve("mysql"));
        Path run = Files.createDirectories(agentDir.resolve("run"));
        Process other = new ProcessBuilder("sleep", "60").directory(dataDir.toFile()).start(); // even in our data directory
        try {
            Files.writeString(run.resolve("mysqld.pid"), other.pid() + "\n");
            OrphanServer orphan = new OrphanServer("db1", dataDir, run.resolve("mysqld.pid"), run.resolve("mysqld.sock"));

            assertThat(orphan.find()).isEmpty();
            assertThat(orphan.takeOver(new Credentials("root", Secret.of("x")))).isFalse();
            assertThat(other.isAlive()).isTrue();
        } finally {
            other.destroyForcibly();
        }
    }

    @Test
    void noDataDirectoryMeansNothingToTakeOver(@TempDir Path agentDir) throws Exception {
        OrphanServer orphan = new OrphanServer("db1", agentDir.resolve("mysql"), agentDir.resolve("run/mysqld.pid"),
                agentDir.resolve("run/mysqld.sock"));
        assertThat(orphan.takeOver(new Credentials("root", Secret.of("x")))).isFalse();
    }
}
