package dev.autopilot.agent.lifecycle;

import dev.autopilot.agent.history.EventKind;
import dev.autopilot.agent.history.History;
import dev.autopilot.backup.restore.TransferProgress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * A copy's progress as history events ({@code provisioning-progress}: bytes, rate, expected size), what
 * {@code autopilot status} draws its progress bar from. At most one event per {@value #EVERY_MILLIS} ms: a long copy
 * must not push the rest of the cluster's story out of the bounded history.
 */
final class CopyProgress implements TransferProgress.Listener {
    static final long EVERY_MILLIS = 15_000;

    private final String member;
    private final String source;
    private final History history;
    private long lastMillis;

    CopyProgress(String member, String source, History history) {
        this.member = member;
        this.source = source;
        this.history = history;
    }

    @Override
    public void progress(long bytes, long bytesPerSecond, OptionalLong expectedBytes) {
        long now = System.currentTimeMillis();
        if (lastMillis != 0 && now - lastMillis < EVERY_MILLIS) {
            return;
        }
        lastMillis = now;
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("source", source);
        details.put("bytes", bytes);
        details.put("bytesPerSecond", bytesPerSecond);
        expectedBytes.ifPresent(e -> details.put("expectedBytes", e));
        history.record(EventKind.PROVISIONING_PROGRESS, member + " copying from " + source + ": " + (bytes >> 20) + " MiB"
                + (expectedBytes.isPresent() ? " of ~" + (expectedBytes.getAsLong() >> 20) + " MiB" : ""), details);
    }
}
