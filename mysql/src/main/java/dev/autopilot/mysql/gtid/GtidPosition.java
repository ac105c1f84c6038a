package dev.autopilot.mysql.gtid;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A MariaDB GTID position or binlog state: a comma-separated list of {@code domain-server-sequence}
 * entries, e.g. {@code 0-1-42,1-3-7}.
 *
 * <p>It holds at most one sequence per (domain, server id) pair. A {@code gtid_current_pos} /
 * {@code gtid_slave_pos} value has one entry per domain; a {@code gtid_binlog_state} value has one per
 * (domain, server id) pair; both parse into this type. Immutable.
 *
 * <p>Two comparisons, used for different decisions:
 * <ul>
 *   <li>{@link #includes}: per domain, is this position's highest sequence at least the other's? That
 *       is "at least as advanced" — the question failover asks of candidates. (In strict mode a domain's
 *       sequence numbers only grow, so the highest sequence says how far a server got.)</li>
 *   <li>{@link #isSubsetOf} / {@link ErrantTransactions}: per (domain, server id), does the other side
 *       hold at least this sequence? That is the errant-transaction question a returning node asks.</li>
 * </ul>
 */
public final class GtidPosition implements ReplicationPosition {

    private static final GtidPosition EMPTY = new GtidPosition(new TreeMap<>());

    private final TreeMap<DomainServer, Long> sequences;

    private GtidPosition(TreeMap<DomainServer, Long> sequences) {
        this.sequences = sequences;
    }

    /** The empty position (nothing executed). */
    public static GtidPosition empty() {
        return EMPTY;
    }

    /**
     * Parses a list such as {@code 0-1-42,1-3-7}. Blank text is the empty position; whitespace and
     * newlines around entries are ignored (the server wraps long values). A (domain, server id) pair
     * appearing twice is an error.
     */
    public static GtidPosition parse(String text) {
        if (text == null) {
            throw new GtidFormatException("GTID position is null; use an empty string for the empty position");
        }
        TreeMap<DomainServer, Long> map = new TreeMap<>();
        if (text.isBlank()) {
            return EMPTY;
        }
        for (String part : text.split(",", -1)) {
            if (part.isBlank()) {
                throw new GtidFormatException("'" + text + "' is not a MariaDB GTID position: empty entry between commas");
            }
            Gtid gtid = Gtid.parse(part);
            if (map.put(gtid.origin(), gtid.sequence()) != null) {
                throw new GtidFormatException("'" + text + "' is not a MariaDB GTID position: domain-server "
                        + gtid.origin() + " appears twice");
            }
        }
        return new GtidPosition(map);
    }

    /** A position made of the given GTIDs; for a repeated (domain, server id) the highest sequence wins. */
    public static GtidPosition of(Collection<Gtid> gtids) {
        TreeMap<DomainServer, Long> map = new TreeMap<>();
        for (Gtid g : gtids) {
            map.merge(g.origin(), g.sequence(), GtidPosition::maxUnsigned);
        }
        return new GtidPosition(map);
    }

    /** A position made of the given GTIDs. */
    public static GtidPosition of(Gtid... gtids) {
        return of(List.of(gtids));
    }

    /** Every entry, ordered by domain then server id. */
    public List<Gtid> gtids() {
        List<Gtid> out = new ArrayList<>(sequences.size());
        sequences.forEach((k, v) -> out.add(new Gtid(k.domainId(), k.serverId(), v)));
        return Collections.unmodifiableList(out);
    }

    /** Per domain, the entry with the highest sequence (the {@code gtid_current_pos} view). */
    public Map<Long, Gtid> byDomain() {
        Map<Long, Gtid> out = new LinkedHashMap<>();
        for (Gtid g : gtids()) {
            out.merge(g.domainId(), g, (a, b) -> Long.compareUnsigned(a.sequence(), b.sequence()) >= 0 ? a : b);
        }
        return Collections.unmodifiableMap(out);
    }

    /** Per (domain, server id), the highest sequence (the {@code gtid_binlog_state} view). */
    public Map<DomainServer, Long> byOrigin() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(sequences));
    }

    /** The highest sequence in a domain, if the domain appears. */
    public Optional<Long> sequenceInDomain(long domainId) {
        return Optional.ofNullable(byDomain().get(domainId)).map(Gtid::sequence);
    }

    /** The same position reduced to one entry per domain: a valid value for {@code gtid_slave_pos}. */
    public GtidPosition perDomain() {
        return of(byDomain().values());
    }

    /** Union of both, keeping the highest sequence per (domain, server id). */
    public GtidPosition merge(GtidPosition other) {
        TreeMap<DomainServer, Long> map = new TreeMap<>(sequences);
        other.sequences.forEach((k, v) -> map.merge(k, v, GtidPosition::maxUnsigned));
        return new GtidPosition(map);
    }

    @Override
    public boolean includes(ReplicationPosition other) {
        GtidPosition o = requireSameFlavor(other);
        Map<Long, Gtid> mine = byDomain();
        for (Gtid theirs : o.byDomain().values()) {
            Gtid own = mine.get(theirs.domainId());
            if (own == null || Long.compareUnsigned(own.sequence(), theirs.sequence()) < 0) {
                return false;
            }
        }
        return true;
    }

    /** Strict per (domain, server id) containment: see {@link ErrantTransactions#find}. */
    @Override
    public boolean isSubsetOf(ReplicationPosition other) {
        return ErrantTransactions.find(this, requireSameFlavor(other)).isEmpty();
    }

    @Override
    public boolean isEmpty() {
        return sequences.isEmpty();
    }

    @Override
    public String format() {
        return gtids().stream().map(Gtid::toString).collect(Collectors.joining(","));
    }

    @Override
    public String toString() {
        return format();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GtidPosition p && p.sequences.equals(sequences);
    }

    @Override
    public int hashCode() {
        return sequences.hashCode();
    }

    private static GtidPosition requireSameFlavor(ReplicationPosition other) {
        if (other instanceof GtidPosition p) {
            return p;
        }
        throw new IllegalArgumentException("cannot compare a MariaDB GTID position with a MySQL GTID set (" + other.format() + ")");
    }

    private static long maxUnsigned(long a, long b) {
        return Long.compareUnsigned(a, b) >= 0 ? a : b;
    }
}
