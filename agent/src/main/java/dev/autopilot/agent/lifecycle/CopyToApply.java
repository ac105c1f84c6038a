package dev.autopilot.agent.lifecycle;

import dev.autopilot.mysql.gtid.GtidPosition;
import java.util.Optional;

/**
 * What a copy just put into the data directory still needs once its server runs: the binlog history to seed
 * ({@code gtid_binlog_state}) and the replication position to apply ({@code gtid_slave_pos}). Immutable, handed from
 * the thread that provisioned to the one that starts the server.
 *
 * @param history       seeds the errant-transaction check with the cluster's history up to the copy (see docs/why.md)
 * @param slavePosition the copy's position; applying it clears the {@link CopyInProgress} marker
 */
public record CopyToApply(Optional<GtidPosition> history, Optional<GtidPosition> slavePosition) {

    /** Nothing to apply: the data directory holds the member's own data or a fresh bootstrap. */
    public static final CopyToApply NONE = new CopyToApply(Optional.empty(), Optional.empty());

    public static CopyToApply of(GtidPosition history, GtidPosition slavePosition) {
        return new CopyToApply(Optional.of(history), Optional.of(slavePosition));
    }
}
