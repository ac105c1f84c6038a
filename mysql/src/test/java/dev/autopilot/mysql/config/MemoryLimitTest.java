package dev.autopilot.mysql.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MemoryLimitTest {

    @TempDir
    Path cgroup;

    @Test
    void readsCgroupV2Limit() throws IOException {
        Files.writeString(cgroup.resolve("memory.max"), "2147483648\n");
        assertThat(MemoryLimit.detect(cgroup)).hasValue(2L << 30);
    }

    @Test
    void cgroupV2MaxMeansNoLimit() throws IOException {
        Files.writeString(cgroup.resolve("memory.max"), "max\n");
        assertThat(MemoryLimit.detect(cgroup)).isEmpty();
    }

    @Test
    void readsCgroupV1LimitAndTreatsHugeValueAsUnlimited() throws IOException {
        Files.createDirectories(cgroup.resolve("memory"));
        Files.writeString(cgroup.resolve("memory/memory.limit_in_bytes"), "1073741824\n");
        assertThat(MemoryLimit.detect(cgroup)).hasValue(1L << 30);
        Files.writeString(cgroup.resolve("memory/memory.limit_in_bytes"), "9223372036854771712\n");
        assertThat(MemoryLimit.detect(cgroup)).isEmpty();
    }

    @Test
    void noCgroupFilesMeansNoLimit() {
        assertThat(MemoryLimit.detect(cgroup)).isEmpty();
    }

    @Test
    void bufferPoolIsHalfTheLimitWithinBounds() {
        assertThat(MemoryLimit.bufferPoolSize(OptionalLong.of(2L << 30), OptionalLong.empty())).isEqualTo(1L << 30);
        assertThat(MemoryLimit.bufferPoolSize(OptionalLong.of(40L << 20), OptionalLong.empty())).isEqualTo(32L << 20);
        assertThat(MemoryLimit.bufferPoolSize(OptionalLong.of(512L << 30), OptionalLong.empty())).isEqualTo(64L << 30);
        assertThat(MemoryLimit.bufferPoolSize(OptionalLong.of((1L << 30) + 12345), OptionalLong.empty()) % (1 << 20)).isZero();
    }

    @Test
    void noLimitUsesServerDefaultNotHostMemory() {
        assertThat(MemoryLimit.bufferPoolSize(OptionalLong.empty(), OptionalLong.empty())).isEqualTo(128L << 20);
    }

    @Test
    void explicitOverrideWinsButMustBeSensible() {
        assertThat(MemoryLimit.bufferPoolSize(OptionalLong.of(1L << 30), OptionalLong.of(900L << 20))).isEqualTo(900L << 20);
        assertThatThrownBy(() -> MemoryLimit.bufferPoolSize(OptionalLong.empty(), OptionalLong.of(1024)))
                .hasMessageContaining("below the minimum of 32 MiB");
    }
}
