package dev.autopilot.mysql.config;

import dev.autopilot.mysql.server.DataDirectory;
import dev.autopilot.mysql.server.ServerStartException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MemberIdentityTest {

    @TempDir
    Path dir;

    @Test
    void serverIdIsThirtyTwoBitsAndNeverZero() {
        assertThat(new MemberIdentity(0x0000_0001_0000_0001L).serverId()).isEqualTo(1); // folds to 0
        assertThat(new MemberIdentity(-1L).serverId()).isEqualTo(1);
        long id = new MemberIdentity(0x1234_5678_0000_0001L).serverId();
        assertThat(id).isEqualTo(0x1234_5679L);
        for (int i = 0; i < 1000; i++) {
            assertThat(MemberIdentity.random().serverId()).isBetween(1L, 0xFFFF_FFFFL);
        }
    }

    @Test
    void storedIdentityLoadsBackUnchanged() {
        MemberIdentity identity = MemberIdentity.random();
        identity.store(dir);
        assertThat(MemberIdentity.load(dir)).contains(identity);
        assertThat(dir.resolve(MemberIdentity.FILE_NAME + ".tmp")).doesNotExist();
    }

    @Test
    void damagedIdentityFileIsAClearError() throws IOException {
        Files.writeString(dir.resolve(MemberIdentity.FILE_NAME), "{\"memberId\": 12}");
        assertThatThrownBy(() -> MemberIdentity.load(dir)).hasMessageContaining("is damaged");
    }

    @Test
    void claimCreatesIdentityInEmptyDirectoryOnceAndKeepsIt() {
        Path data = dir.resolve("data");
        MemberIdentity first = DataDirectory.claim(data);
        assertThat(DataDirectory.claim(data)).isEqualTo(first);
    }

    @Test
    void claimRefusesNonEmptyDirectoryWithoutIdentity() throws IOException {
        Files.writeString(dir.resolve("ibdata1"), "someone else's data");
        assertThatThrownBy(() -> DataDirectory.claim(dir))
                .isInstanceOf(ServerStartException.class)
                .hasMessageContaining("is not empty and has no autopilot-member.json");
        assertThat(dir.resolve(MemberIdentity.FILE_NAME)).doesNotExist();
    }
}
