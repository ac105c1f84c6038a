package dev.autopilot.backup.pitr;

import dev.autopilot.mysql.gtid.GtidPosition;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The CLI's {@code --to} and the whole-second stop time binlogs allow. */
class RecoveryTargetTest {

    @Test
    void toAcceptsLatestAUtcTimeOrAGtidPositionAndNamesEveryFormOtherwise() {
        assertThat(RecoveryTarget.parse("latest")).isEqualTo(new RecoveryTarget.Latest());
        assertThat(RecoveryTarget.parse("2026-11-25T12:00:00Z"))
                .isEqualTo(new RecoveryTarget.AtTime(Instant.parse("2026-11-25T12:00:00Z")));
        assertThat(RecoveryTarget.parse("0-1-42")).isEqualTo(new RecoveryTarget.AtGtid(GtidPosition.parse("0-1-42")));
        assertThatThrownBy(() -> RecoveryTarget.parse("yesterday"))
                .hasMessageContaining("'yesterday'").hasMessageContaining("'latest'").hasMessageContaining("2026-11-25T12:00:00Z").hasMessageContaining("0-1-42");
    }

    @Test
    void stopTimeRoundsAFractionUpToTheNextWholeSecond() {
        assertThat(PointInTimeRestore.stopTime(Instant.parse("2026-11-25T12:00:05Z"))).isEqualTo(Instant.parse("2026-11-25T12:00:05Z"));
        assertThat(PointInTimeRestore.stopTime(Instant.parse("2026-11-25T12:00:05.200Z"))).isEqualTo(Instant.parse("2026-11-25T12:00:06Z"));
    }
}
