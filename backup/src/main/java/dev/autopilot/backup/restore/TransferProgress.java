package dev.autopilot.backup.restore;

import org.slf4j.Logger;

import java.time.Duration;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * Counts the bytes of one transfer and logs, at most once per interval: bytes so far, MB/s since the
 * start, and an ETA when the expected size is known. Called from the copying thread, so it needs no
 * timer and logs nothing while the transfer is stalled (the stall itself is then visible as silence
 * followed by a lower rate).
 */
public final class TransferProgress {

    /** Told of the progress each time it is logged (e.g. to record it in the cluster's history). */
    @FunctionalInterface
    public interface Listener {
        /** Hears nothing. */
        Listener NONE = (bytes, bytesPerSecond, expectedBytes) -> { };

        /** @param expectedBytes the transfer's size when the source announced it */
        void progress(long bytes, long bytesPerSecond, OptionalLong expectedBytes);
    }

    private final Logger log;
    private final Listener listener;
    private final String what;
    private final OptionalLong expectedBytes;
    private final long intervalNanos;
    private final long startNanos;
    private long bytes;
    private long lastLogNanos;

    public TransferProgress(Logger log, String what, OptionalLong expectedBytes, Duration interval) {
        this(log, what, expectedBytes, interval, Listener.NONE);
    }

    /** Also tells {@code listener} each time it logs. */
    public TransferProgress(Logger log, String what, OptionalLong expectedBytes, Duration interval, Listener listener) {
        this.log = log;
        this.listener = listener;
        this.what = what;
        this.expectedBytes = expectedBytes;
        this.intervalNanos = interval.toNanos();
        this.startNanos = System.nanoTime();
        this.lastLogNanos = startNanos;
    }

    /** Adds {@code n} bytes; logs a progress line when the interval has passed. */
    public void add(long n) {
        bytes += n;
        long now = System.nanoTime();
        if (now - lastLogNanos >= intervalNanos) {
            lastLogNanos = now;
            log.info("{}: {}", what, describe(now));
            listener.progress(bytes, (long) (bytes / Math.max(1e-3, (now - startNanos) / 1e9)), expectedBytes);
        }
    }

    public long bytes() {
        return bytes;
    }

    public Duration elapsed() {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    /** e.g. {@code 512.0 MiB of ~1.0 GiB (50%), 210.3 MB/s, ETA 3 s}. */
    public String describe() {
        return describe(System.nanoTime());
    }

    /** Final figures, e.g. {@code 36.9 MiB in 2.2 s, 16.8 MB/s}. */
    public String summary() {
        double seconds = Math.max(1e-3, (System.nanoTime() - startNanos) / 1e9);
        return String.format(Locale.ROOT, "%s in %.1f s, %.1f MB/s", size(bytes), seconds, bytes / seconds / 1e6);
    }

    private String describe(long now) {
        double seconds = Math.max(1e-3, (now - startNanos) / 1e9);
        double rate = bytes / seconds;
        StringBuilder sb = new StringBuilder(size(bytes));
        if (expectedBytes.isPresent() && expectedBytes.getAsLong() > 0) {
            long expected = expectedBytes.getAsLong();
            sb.append(" of ~").append(size(expected))
                    .append(String.format(Locale.ROOT, " (%d%%)", Math.min(100, bytes * 100 / expected)));
            sb.append(String.format(Locale.ROOT, ", %.1f MB/s", rate / 1e6));
            if (bytes < expected && bytes >= (1 << 20)) {
                sb.append(String.format(Locale.ROOT, ", ETA %d s", (long) Math.ceil((expected - bytes) / rate)));
            }
        } else {
            sb.append(String.format(Locale.ROOT, ", %.1f MB/s", rate / 1e6));
        }
        return sb.toString();
    }

    static String size(long bytes) {
        if (bytes < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        }
        if (bytes < 1024L * 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
        }
        return String.format(Locale.ROOT, "%.2f GiB", bytes / (1024.0 * 1024 * 1024));
    }
}
