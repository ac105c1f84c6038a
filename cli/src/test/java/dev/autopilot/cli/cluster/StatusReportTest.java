package dev.autopilot.cli.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.TimeZone;
import org.junit.jupiter.api.Test;

/** The local time {@code status} prints (last failover) reads as through {@code ZoneId.systemDefault()}, DST and odd offsets included. */
class StatusReportTest {
    @Test
    void localTimeIsTheSystemZonesTime() {
        TimeZone saved = TimeZone.getDefault();
        try {
            for (String zone : List.of(saved.getID(), "UTC", "Europe/Berlin", "America/St_Johns", "Asia/Kathmandu", "Australia/Lord_Howe")) {
                TimeZone.setDefault(TimeZone.getTimeZone(zone));
                DateTimeFormatter expected = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());
                // around the 2026 DST changes in Europe and North America, and the epoch (TimeZone and java.time part ways only
                // before 1900, at local mean time, which no cluster records)
                for (long millis : new long[] {1796332147400L, 1774746000000L - 1, 1774746000000L, 1792890000000L, 1792893600000L + 1,
                        1773558000000L, 1773561600000L, 0L}) {
                    assertThat(StatusReport.localTime(millis)).as(zone + " at " + millis).isEqualTo(expected.format(Instant.ofEpochMilli(millis)));
                }
            }
        } finally {
            TimeZone.setDefault(saved);
        }
    }
}
