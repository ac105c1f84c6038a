package dev.autopilot.backup.binlog;

import dev.autopilot.mysql.gtid.Gtid;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The transactions a binlog file holds, read from {@code mariadb-binlog} output (run with {@code TZ=UTC}): the
 * first and last GTID and the times of those events. Empty for a binlog without transactions.
 *
 * @param firstGtid first transaction's GTID
 * @param lastGtid  last transaction's GTID
 * @param firstTime its event time (second precision, as binlogs record it)
 * @param lastTime  the last transaction's event time
 */
public record BinlogSummary(Gtid firstGtid, Gtid lastGtid, Instant firstTime, Instant lastTime) {

    /** {@code #261125 12:37:18 server id 1  end_log_pos 369 CRC32 0x0a1b2c3d \tGTID 0-1-2 trans}; hour may be space-padded. */
    private static final Pattern GTID_EVENT = Pattern.compile(
            "^#(\\d{6})\\s+(\\d{1,2}):(\\d{2}):(\\d{2})\\s+server id \\d+\\s+end_log_pos \\d+.*\\sGTID (\\d+-\\d+-\\d+)");
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyMMdd");

    /** Accumulates a summary line by line. */
    public static final class Reader {
        private Gtid first;
        private Gtid last;
        private Instant firstTime;
        private Instant lastTime;

        /** Feeds one output line; lines that are not GTID event headers are ignored. */
        public void accept(String line) {
            if (!line.startsWith("#")) {
                return;
            }
            Matcher m = GTID_EVENT.matcher(line);
            if (!m.find()) {
                return;
            }
            LocalDateTime t = java.time.LocalDate.parse(m.group(1), DATE)
                    .atTime(Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4)));
            Instant at = t.toInstant(ZoneOffset.UTC);
            Gtid gtid = Gtid.parse(m.group(5));
            if (first == null) {
                first = gtid;
                firstTime = at;
            }
            last = gtid;
            lastTime = at;
        }

        /** The summary, empty when no transaction was seen. */
        public Optional<BinlogSummary> summary() {
            return first == null ? Optional.empty() : Optional.of(new BinlogSummary(first, last, firstTime, lastTime));
        }
    }
}
