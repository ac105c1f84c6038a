package dev.autopilot.backup.pitr;

import dev.autopilot.backup.binlog.ArchivedBinlog;
import dev.autopilot.backup.snapshot.SnapshotInfo;
import dev.autopilot.mysql.gtid.GtidPosition;

import java.util.Comparator;
import java.util.List;

/**
 * What to delete: all but the newest {@code keep} snapshots, and every archived binlog whose transactions are
 * all inside the oldest kept snapshot (so every kept snapshot can still be rolled forward). A binlog without
 * transactions goes once it was archived before the oldest kept snapshot started. With no snapshot at all,
 * nothing is deleted: the binlogs are then the only history.
 */
public record Retention(int keep) {

    public Retention {
        if (keep < 1) {
            throw new IllegalArgumentException("backup retention: keep " + keep + " must be at least 1 snapshot");
        }
    }

    /** The deletions one retention pass makes. */
    public record Plan(List<SnapshotInfo> snapshots, List<ArchivedBinlog> binlogs) {
        public boolean isEmpty() {
            return snapshots.isEmpty() && binlogs.isEmpty();
        }
    }

    /** Pure selection over the catalog and the archive (in any order). */
    public Plan select(List<SnapshotInfo> snapshots, List<ArchivedBinlog> binlogs) {
        List<SnapshotInfo> newestFirst = snapshots.stream().sorted(Comparator.comparing(SnapshotInfo::id).reversed()).toList();
        if (newestFirst.isEmpty()) {
            return new Plan(List.of(), List.of());
        }
        List<SnapshotInfo> kept = newestFirst.subList(0, Math.min(keep, newestFirst.size()));
        SnapshotInfo oldestKept = kept.getLast();
        GtidPosition floor = oldestKept.gtidPosition();
        List<ArchivedBinlog> obsolete = binlogs.stream().filter(b -> b.range()
                        .map(r -> floor.includes(GtidPosition.of(r.lastGtid())))
                        .orElse(b.archived().isBefore(oldestKept.created())))
                .toList();
        return new Plan(newestFirst.subList(kept.size(), newestFirst.size()), obsolete);
    }
}
