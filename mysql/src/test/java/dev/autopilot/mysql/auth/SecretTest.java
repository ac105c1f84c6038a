package dev.autopilot.mysql.auth;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SecretTest {

    @TempDir
    Path dir;

    @Test
    void secretNeverPrintsItsValue() {
        Credentials c = Credentials.of("repl", "hunter2");
        assertThat(c.toString()).isEqualTo("repl/******").doesNotContain("hunter2");
        assertThat(c.password().reveal()).isEqualTo("hunter2");
        assertThat(String.valueOf(c.password())).isEqualTo("******");
    }

    @Test
    void loadsFromEnvironmentVariable() {
        Credentials c = Credentials.fromEnvironment(Map.of("MYSQL_REPL_PASSWORD", "pw", "MYSQL_REPL_USER", "r"), "MYSQL_REPL", "repl");
        assertThat(c).isEqualTo(Credentials.of("r", "pw"));
        assertThat(Credentials.fromEnvironment(Map.of("MYSQL_REPL_PASSWORD", "pw"), "MYSQL_REPL", "repl").user()).isEqualTo("repl");
    }

    @Test
    void loadsFromFileNamedByFileVariableDroppingTrailingNewline() throws IOException {
        Path file = dir.resolve("pw");
        Files.writeString(file, "from-file\n");
        assertThat(Secret.fromEnvironment(Map.of("ROOT_PASSWORD_FILE", file.toString()), "ROOT_PASSWORD").reveal()).isEqualTo("from-file");
    }

    @Test
    void bothOrNeitherIsAClearError() {
        assertThatThrownBy(() -> Secret.fromEnvironment(Map.of("P", "a", "P_FILE", "/x"), "P")).hasMessageContaining("P and P_FILE are both set");
        assertThatThrownBy(() -> Secret.fromEnvironment(Map.of(), "P")).hasMessageContaining("P: missing (set P or P_FILE");
        assertThatThrownBy(() -> Secret.fromFile(dir.resolve("absent"))).hasMessageContaining("cannot read secret file");
    }

    @Test
    void randomSecretsAreDistinctAndQuoteFree() {
        Secret a = Secret.random(24);
        assertThat(a.reveal()).hasSize(24).matches("[A-Za-z0-9]+");
        assertThat(a).isNotEqualTo(Secret.random(24));
    }

    @Test
    void userNamesAreValidated() {
        assertThatThrownBy(() -> Credentials.of("bad'user", "x")).hasMessageContaining("database user name 'bad'user' is invalid");
    }
}
