package dev.autopilot.cli.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.autopilot.agent.history.HistoryEvent;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How {@code history} and {@code status} print events and copies in progress. */
class HistoryReportTest {

    private static HistoryEvent event(long at, String member, String kind, Map<String, Object> details) {
        return new HistoryEvent(at, member, kind, member + " " + kind, details);
    }

    @Test
    void eventsPrintOnePerLineInUtcWithTheirDetails() {
        String out = HistoryReport.lines(List.of(
                event(1_796_300_000_000L, "db2", "lock-taken", Map.of("lockFreeMillis", 102, "reason", "lock was free")),
                event(1_796_300_000_020L, "db2", "promoted", Map.of("drainMillis", 8, "openMillis", 10))));
        assertThat(out.lines()).containsExactly(
                "2026-12-03 12:13:20.000  db2  lock-taken  db2 lock-taken  [lockFreeMillis=102, reason=lock was free]",
                "2026-12-03 12:13:20.020  db2  promoted    db2 promoted  [drainMillis=8, openMillis=10]");
    }

    @Test
    void aCopyInProgressShowsABarBytesRateAndEtaUntilItFinishes() {
        long now = 1_796_300_100_000L;
        var started = event(now - 20_000, "db3", "provisioning-started", Map.of("source", "live clone from db1"));
        var progress = event(now - 5_000, "db3", "provisioning-progress", Map.of("source", "live clone from db1",
                "bytes", 512L << 20, "bytesPerSecond", 64_000_000L, "expectedBytes", 1024L << 20));
        assertThat(HistoryReport.provisioning(List.of(started, progress), now)).containsExactly(
                "db3 provisioning from live clone from db1: [###############...............] 50% 512.0 MiB of 1024.0 MiB, 64.0 MB/s,"
                        + " ETA 8 s (reported 5 s ago)");
        assertThat(HistoryReport.provisioning(List.of(started), now)).singleElement().asString()
                .isEqualTo("db3 provisioning from live clone from db1: 0.0 MiB (reported 20 s ago)");
        var finished = event(now - 1_000, "db3", "provisioning-finished", Map.of("bytes", 1024L << 20));
        assertThat(HistoryReport.provisioning(List.of(started, progress, finished), now)).isEmpty();
    }
}
