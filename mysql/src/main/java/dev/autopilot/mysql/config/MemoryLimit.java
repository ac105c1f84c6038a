package dev.autopilot.mysql.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The container's memory limit from cgroups, so the buffer pool is sized from what the container may
 * use rather than from host RAM (a fault of the original design).
 */
public final class MemoryLimit {

    /** Anything above this is cgroup v1's way of saying "no limit". */
    private static final long UNLIMITED_THRESHOLD = 1L << 60;

    private MemoryLimit() {
    }

    /** Reads {@code /sys/fs/cgroup}. */
    public static OptionalLong detect() {
        return detect(Path.of("/sys/fs/cgroup"));
    }

    /** Reads {@code <root>/memory.max} (cgroup v2) or {@code <root>/memory/memory.limit_in_bytes} (v1); empty when unlimited or unknown. */
    public static OptionalLong detect(Path cgroupRoot) {
        OptionalLong v2 = read(cgroupRoot.resolve("memory.max"));
        return v2.isPresent() ? v2 : read(cgroupRoot.resolve("memory").resolve("memory.limit_in_bytes"));
    }

    private static OptionalLong read(Path file) {
        try {
            String text = Files.readString(file).strip();
            if (text.equals("max")) {
                return OptionalLong.empty();
            }
            long value = Long.parseLong(text);
            return value <= 0 || value >= UNLIMITED_THRESHOLD ? OptionalLong.empty() : OptionalLong.of(value);
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** Default when there is no limit: MariaDB's own default, not a share of host RAM. */
    public static final long DEFAULT_BUFFER_POOL = 128L << 20;
    /** Smallest pool rendered. */
    public static final long MIN_BUFFER_POOL = 32L << 20;
    /** Largest pool derived from a limit (an explicit override may exceed it). */
    public static final long MAX_DERIVED_BUFFER_POOL = 64L << 30;

    /**
     * The InnoDB buffer pool size: the override when given; else half the memory limit, between
     * {@link #MIN_BUFFER_POOL} and {@link #MAX_DERIVED_BUFFER_POOL}, rounded down to a MiB; else
     * {@link #DEFAULT_BUFFER_POOL}.
     */
    public static long bufferPoolSize(OptionalLong limit, OptionalLong override) {
        if (override.isPresent()) {
            if (override.getAsLong() < MIN_BUFFER_POOL) {
                throw new IllegalArgumentException("innodb buffer pool override " + override.getAsLong()
                        + " bytes is below the minimum of 32 MiB");
            }
            return override.getAsLong();
        }
        if (limit.isEmpty()) {
            return DEFAULT_BUFFER_POOL;
        }
        long half = limit.getAsLong() / 2;
        long clamped = Math.max(MIN_BUFFER_POOL, Math.min(MAX_DERIVED_BUFFER_POOL, half));
        return clamped & ~((1L << 20) - 1);
    }
}
