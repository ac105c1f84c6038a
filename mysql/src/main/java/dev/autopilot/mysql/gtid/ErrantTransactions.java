package dev.autopilot.mysql.gtid;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Finds transactions a node has that the primary does not (rule 4 of the design: no divergence).
 *
 * <p>For MariaDB the comparison is per (domain, server id): the local node's {@code gtid_binlog_state}
 * lists the last sequence each server wrote in each domain; if the primary's known state for that pair
 * is lower or absent, the local node holds transactions the cluster never saw. Pass as the primary's side
 * {@link GtidPosition#merge merged} {@code gtid_binlog_state} and {@code gtid_slave_pos}, because a
 * primary restored from a snapshot knows its history through {@code gtid_slave_pos}, not its binlog.
 *
 * <p>For MySQL it is plain set difference: local {@code gtid_executed} minus the primary's.
 */
public final class ErrantTransactions {

    private ErrantTransactions() {
    }

    /** One (domain, server id) pair where the local node is ahead of the primary. */
    public record ErrantRange(DomainServer origin, long localSequence, long primarySequence, boolean primaryHasOrigin) {
        /** The GTIDs are at most {@code localSequence - primarySequence}; sequences are shared per domain, so this is an upper bound. */
        public long maxCount() {
            return localSequence - primarySequence;
        }

        @Override
        public String toString() {
            return origin + "-(" + Long.toUnsignedString(primarySequence) + ".." + Long.toUnsignedString(localSequence) + "]"
                    + (primaryHasOrigin ? "" : " (primary has none from this server)");
        }
    }

    /** MariaDB: every (domain, server id) where {@code local} is ahead of {@code primaryKnown}; empty when none. */
    public static List<ErrantRange> find(GtidPosition local, GtidPosition primaryKnown) {
        Map<DomainServer, Long> primary = primaryKnown.byOrigin();
        List<ErrantRange> out = new ArrayList<>();
        local.byOrigin().forEach((origin, seq) -> {
            Long theirs = primary.get(origin);
            if (theirs == null) {
                out.add(new ErrantRange(origin, seq, 0, false));
            } else if (Long.compareUnsigned(seq, theirs) > 0) {
                out.add(new ErrantRange(origin, seq, theirs, true));
            }
        });
        return List.copyOf(out);
    }

    /**
     * As {@link #find(GtidPosition, GtidPosition)}, leaving out the primary's own origin ({@code primaryServerId}; 0 when
     * unknown): a primary's own writes are never errant, however far they run ahead of the history it published.
     */
    public static List<ErrantRange> find(GtidPosition local, GtidPosition primaryKnown, long primaryServerId) {
        return find(local, primaryKnown).stream().filter(r -> primaryServerId == 0 || r.origin().serverId() != primaryServerId).toList();
    }

    /** MySQL: the GTIDs in {@code local} that are not in {@code primary}. */
    public static GtidSet find(GtidSet local, GtidSet primary) {
        return local.minus(primary);
    }
}
