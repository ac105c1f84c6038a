package dev.autopilot.mysql.gtid;

import java.util.Collection;
import java.util.Optional;

/**
 * What a server has executed, independent of flavor: a MariaDB {@link GtidPosition} or a MySQL
 * {@link GtidSet}. Positions of different flavors are never comparable.
 */
public sealed interface ReplicationPosition permits GtidPosition, GtidSet {

    /** True when this position contains everything in {@code other} (it is at least as advanced). */
    boolean includes(ReplicationPosition other);

    /** True when every transaction in this position is also in {@code other} (no errant transactions). */
    default boolean isSubsetOf(ReplicationPosition other) {
        return other.includes(this);
    }

    /** True when nothing has been executed. */
    boolean isEmpty();

    /** The canonical text form the server accepts back (for MariaDB, a value for gtid_slave_pos). */
    String format();

    /**
     * The position that includes every other one, or empty when the collection is empty or no single
     * position includes all others (they diverge: each is ahead somewhere).
     */
    static <T extends ReplicationPosition> Optional<T> mostAdvanced(Collection<T> positions) {
        for (T candidate : positions) {
            if (positions.stream().allMatch(candidate::includes)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
