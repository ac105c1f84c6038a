package dev.autopilot.backup.pitr;

import dev.autopilot.backup.binlog.ArchivedBinlog;
import dev.autopilot.backup.binlog.BinlogSummary;
import dev.autopilot.backup.snapshot.SnapshotInfo;
import dev.autopilot.mysql.gtid.Gtid;
import dev.autopilot.mysql.gtid.GtidPosition;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Pure selection on hand-made catalogs: which snapshots and binlogs a retention pass deletes. */
class RetentionTest {

    private static final Instant T0 = Instant.parse("2026-11-25T00:00:00Z");

    @Test
    void keepsTheNewestSnapshotsAndEveryBinlogTheOldestKeptOneNeeds() {
        SnapshotInfo s1 = snapshot(1, "0-1-10");
        SnapshotInfo s2 = snapshot(2, "0-1-20");
        SnapshotInfo s3 = snapshot(3, "0-2-30"); // taken after a failover: another server id, same domain
        ArchivedBinlog before = binlog("binlogs/1/binlog.000001.zst", 1, 12, 1);
        ArchivedBinlog straddles = binlog("binlogs/1/binlog.000002.zst", 13, 21, 2);
        ArchivedBinlog after = binlog("binlogs/2/binlog.000001.zst", 21, 35, 3);

        Retention.Plan plan = new Retention(2).select(List.of(s1, s3, s2), List.of(after, before, straddles));

        assertThat(plan.snapshots()).containsExactly(s1);
        assertThat(plan.binlogs()).containsExactly(before);
    }

    @Test
    void binlogEndingExactlyAtTheOldestKeptSnapshotIsNoLongerNeeded() {
        SnapshotInfo s = snapshot(5, "0-1-20");
        ArchivedBinlog endsAt = binlog("binlogs/1/binlog.000004.zst", 15, 20, 4);
        ArchivedBinlog onePast = binlog("binlogs/1/binlog.000005.zst", 15, 21, 4);

        assertThat(new Retention(1).select(List.of(s), List.of(endsAt, onePast)).binlogs()).containsExactly(endsAt);
    }

    @Test
    void withoutSnapshotsNothingIsDeletedAndEmptyBinlogsGoOnlyWhenOlderThanTheOldestKept() {
        ArchivedBinlog empty = new ArchivedBinlog("binlogs/1/binlog.000009.zst", 1, "binlog.000009", Optional.empty(), 10,
                T0.plus(Duration.ofHours(1)));
        assertThat(new Retention(1).select(List.of(), List.of(empty)).isEmpty()).isTrue();
        assertThat(new Retention(1).select(List.of(snapshot(2, "0-1-5")), List.of(empty)).binlogs()).containsExactly(empty);
        assertThat(new Retention(1).select(List.of(snapshot(0, "0-1-5")), List.of(empty)).binlogs()).isEmpty();
    }

    @Test
    void keepingFewerThanOneSnapshotIsRefused() {
        assertThatThrownBy(() -> new Retention(0)).hasMessageContaining("keep 0");
    }

    private static SnapshotInfo snapshot(int hour, String gtid) {
        Instant at = T0.plus(Duration.ofHours(hour));
        String id = "2026112" + hour;
        return new SnapshotInfo(id, "snapshots/" + id + "/backup.xbstream.zst", at, "db", "10.11", GtidPosition.parse(gtid),
                "binlog.000001", 4, 100, "00".repeat(32), Duration.ofSeconds(5));
    }

    private static ArchivedBinlog binlog(String key, long firstSeq, long lastSeq, int hour) {
        Instant at = T0.plus(Duration.ofHours(hour));
        return new ArchivedBinlog(key, 1, key.substring(key.lastIndexOf('/') + 1), Optional.of(new BinlogSummary(
                new Gtid(0, 1, firstSeq), new Gtid(0, 1, lastSeq), at, at)), 100, at);
    }
}
