package dev.autopilot.backup.binlog;

import dev.autopilot.mysql.gtid.Gtid;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Pure parsing of mariadb-binlog output (as printed with TZ=UTC). */
class BinlogSummaryTest {

    @Test
    void firstAndLastTransactionAreTakenFromGtidEventHeaders() {
        BinlogSummary.Reader reader = new BinlogSummary.Reader();
        List.of("# at 4",
                "#261125 12:37:18 server id 1  end_log_pos 256 CRC32 0x1c9d8f2e \tStart: binlog v 4, server v 10.11.9",
                "#261125 12:37:18 server id 1  end_log_pos 285 CRC32 0x0a0b0c0d \tGtid list [0-1-4]",
                "#261125  9:05:01 server id 1  end_log_pos 327 CRC32 0x0a0b0c0e \tGTID 0-1-5 trans",
                "BINLOG '",
                "#GTID 0-9-9 in base64 text is not a header",
                "#261125 12:40:59 server id 7  end_log_pos 900 CRC32 0x0a0b0c0f \tGTID 0-7-6 ddl",
                "#261125 12:41:00 server id 7  end_log_pos 999 CRC32 0x0a0b0c10 \tXid = 12").forEach(reader::accept);

        BinlogSummary s = reader.summary().orElseThrow();

        assertThat(s.firstGtid()).isEqualTo(new Gtid(0, 1, 5));
        assertThat(s.lastGtid()).isEqualTo(new Gtid(0, 7, 6));
        assertThat(s.firstTime()).isEqualTo(Instant.parse("2026-11-25T09:05:01Z"));
        assertThat(s.lastTime()).isEqualTo(Instant.parse("2026-11-25T12:40:59Z"));
    }

    @Test
    void binlogWithoutTransactionsHasNoRange() {
        BinlogSummary.Reader reader = new BinlogSummary.Reader();
        reader.accept("#261125 12:37:18 server id 1  end_log_pos 285 CRC32 0x0a0b0c0d \tGtid list [0-1-4]");
        assertThat(reader.summary()).isEmpty();
    }
}
