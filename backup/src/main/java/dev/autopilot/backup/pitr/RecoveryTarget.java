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

    /** The newest snapshot and every archived transaction after it. */
    record Latest() implements RecoveryTarget {
    }

    /** For log lines and messages: {@code 2026-11-25T12:00:00Z}, {@code GTID position 0-1-42}, {@code latest}. */
    default String describe() {
        return switch (this) {
            case AtTime(Instant t) -> t.toString();
            case AtGtid(GtidPosition g) -> "GTID position " + g;
            case Latest() -> "the latest archived transaction";
        };
    }

    /**
     * Parses the CLI's {@code --to} (and {@code bootstrap.fromBackup}): {@code latest}, an ISO-8601 instant
     * ({@code 2026-11-25T12:00:00Z}) or a GTID position ({@code 0-1-42}).
     */
    static RecoveryTarget parse(String text) {
        String t = text == null ? "" : text.strip();
        if (t.equalsIgnoreCase("latest")) {
            return new Latest();
        }
        try {
            return new AtTime(Instant.parse(t));
        } catch (DateTimeParseException notATime) {
            try {
                return new AtGtid(GtidPosition.parse(t));
            } catch (RuntimeException notAGtid) {
                throw new IllegalArgumentException("'" + text + "' is neither 'latest', a UTC time such as "
                        + "2026-11-25T12:00:00Z, nor a GTID position such as 0-1-42");
            }
        }
    }
}
