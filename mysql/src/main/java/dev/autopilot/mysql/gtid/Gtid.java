package dev.autopilot.mysql.gtid;

/**
 * One MariaDB global transaction id, {@code domain-server-sequence}, e.g. {@code 0-1-42}.
 *
 * <p>Domain and server id are unsigned 32-bit values; the sequence number is an unsigned 64-bit value
 * stored in a {@code long} and always compared with {@link Long#compareUnsigned}.
 */
public record Gtid(long domainId, long serverId, long sequence) {

    private static final long MAX_U32 = 0xFFFF_FFFFL;

    public Gtid {
        if (domainId < 0 || domainId > MAX_U32) {
            throw new IllegalArgumentException("GTID domain id " + domainId + " is outside 0..4294967295");
        }
        if (serverId < 0 || serverId > MAX_U32) {
            throw new IllegalArgumentException("GTID server id " + serverId + " is outside 0..4294967295");
        }
    }

    /** Parses {@code domain-server-sequence}; throws {@link GtidFormatException} naming the bad text. */
    public static Gtid parse(String text) {
        String[] parts = text.strip().split("-", -1);
        if (parts.length != 3) {
            throw new GtidFormatException("'" + text + "' is not a MariaDB GTID: expected domain-server-sequence, e.g. 0-1-42");
        }
        try {
            long domain = Long.parseLong(parts[0]);
            long server = Long.parseLong(parts[1]);
            long seq = Long.parseUnsignedLong(parts[2]);
            if (parts[0].startsWith("+") || parts[1].startsWith("+") || parts[2].startsWith("+")) {
                throw new NumberFormatException("sign");
            }
            return new Gtid(domain, server, seq);
        } catch (NumberFormatException e) {
            throw new GtidFormatException("'" + text + "' is not a MariaDB GTID: domain, server id and sequence must be"
                    + " unsigned decimal numbers, e.g. 0-1-42");
        } catch (IllegalArgumentException e) {
            throw new GtidFormatException("'" + text + "' is not a MariaDB GTID: " + e.getMessage());
        }
    }

    /** The (domain, server id) pair this GTID belongs to. */
    public DomainServer origin() {
        return new DomainServer(domainId, serverId);
    }

    @Override
    public String toString() {
        return domainId + "-" + serverId + "-" + Long.toUnsignedString(sequence);
    }
}
