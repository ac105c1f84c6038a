package dev.autopilot.backup.pitr;

import dev.autopilot.mysql.gtid.GtidPosition;

import java.time.Instant;
import java.time.format.DateTimeParseException;

/** Where a point-in-time restore stops. */
public sealed interface RecoveryTarget {

    /**
     * Every transaction whose binlog time is before {@code time}. Binlog times have whole-second precision: a
     * target with a fraction is rounded up, so transactions stamped in that second are included.
     */
    record AtTime(Instant time) implements RecoveryTarget {
    }

    /** Every transaction up to and including {@code position}. */
    record AtGtid(GtidPosition position) implements RecoveryTarget {
    }

    /**
     * Parses the CLI's {@code --to}: an ISO-8601 instant ({@code 2026-11-25T12:00:00Z}) or a GTID position
     * ({@code 0-1-42}).
     */
    static RecoveryTarget parse(String text) {
        String t = text == null ? "" : text.strip();
        try {
            return new AtTime(Instant.parse(t));
        } catch (DateTimeParseException notATime) {
            try {
                return new AtGtid(GtidPosition.parse(t));
            } catch (RuntimeException notAGtid) {
                throw new IllegalArgumentException("restore --to '" + text + "' is neither a UTC time such as "
                        + "2026-11-25T12:00:00Z nor a GTID position such as 0-1-42");
            }
        }
    }
}
