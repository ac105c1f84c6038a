package dev.autopilot.backup.snapshot;

import dev.autopilot.mysql.gtid.GtidPosition;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** Pure parsing: mariabackup's binlog report and the snapshot metadata document. */
class SnapshotTextTest {

    @Test
    void binlogPositionIsReadFromMariabackupsReportLine() {
        var at = SnapshotWriter.parseBinlogPosition("[00] 2026-11-25 12:44:32 MySQL binlog position: filename "
                + "'binlog.000003', position '694720', GTID of the last change '0-1751470298-9,1-7-3'").orElseThrow();

        assertThat(at.file()).isEqualTo("binlog.000003");
        assertThat(at.offset()).isEqualTo(694720);
        assertThat(at.gtid()).isEqualTo(GtidPosition.parse("0-1751470298-9,1-7-3"));
    }

    @Test
    void binlogPositionWithoutGtidIsTheEmptyPositionAndOtherLinesAreIgnored() {
        assertThat(SnapshotWriter.parseBinlogPosition("MySQL binlog position: filename 'binlog.000001', position '328'")
                .orElseThrow().gtid().isEmpty()).isTrue();
        assertThat(SnapshotWriter.parseBinlogPosition("[01] 2026-11-25 12:44:32 Copying ./ibdata1")).isEmpty();
    }

    @Test
    void metadataSurvivesARoundTripAndIdsSortInTimeOrder() throws Exception {
        Instant t = Instant.parse("2026-11-25T12:37:18.123Z");
        SnapshotInfo info = new SnapshotInfo(SnapshotCatalog.idFor(t), SnapshotCatalog.dataKey(SnapshotCatalog.idFor(t)), t,
                "db-1", "10.11.9-MariaDB", GtidPosition.parse("0-1-42"), "binlog.000002", 1234, 999, "ab".repeat(32),
                Duration.ofMillis(4321));

        assertThat(SnapshotMeta.decode(SnapshotMeta.encode(info))).isEqualTo(info);
        assertThat(info.id()).isEqualTo("20261125T123718.123Z");
        assertThat(SnapshotCatalog.idFor(t.plusMillis(1))).isGreaterThan(info.id());
        assertThat(SnapshotCatalog.idFor(Instant.parse("2026-12-01T00:00:00Z"))).isGreaterThan(info.id());
    }
}
