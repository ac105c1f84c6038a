package dev.autopilot.mysql.gtid;

/** A MariaDB replication domain together with the server id that wrote transactions in it. */
public record DomainServer(long domainId, long serverId) implements Comparable<DomainServer> {

    @Override
    public int compareTo(DomainServer o) {
        int c = Long.compare(domainId, o.domainId);
        return c != 0 ? c : Long.compare(serverId, o.serverId);
    }

    @Override
    public String toString() {
        return domainId + "-" + serverId;
    }
}
