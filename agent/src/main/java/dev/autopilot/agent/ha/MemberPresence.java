package dev.autopilot.agent.ha;

import dev.autopilot.agent.cluster.ClusterStore;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.agent.cluster.Role;
import dev.autopilot.coordination.Coordinator;
import dev.autopilot.coordination.Member;
import dev.autopilot.coordination.MemberRegistration;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How this member appears in the store: a presence registration that carries its {@link MemberRecord}
 * (alive while the agent is), and one service registration — {@code <cluster>-primary} or
 * {@code <cluster>-replica} — whose heartbeat follows the database's health, which is what applications
 * and proxies discover.
 */
final class MemberPresence implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MemberPresence.class);

    private final Coordinator store;
    private final String cluster;
    private final Duration ttl;
    private MemberRegistration presence;
    private MemberRegistration service;
    private Role serviceRole = Role.NONE;
    private MemberRecord lastPublished;
    private long lastPublishNanos;
    private long lastPassNanos;
    /** Health last reported to the service registration, and when. */
    private boolean serviceHealthy;
    private long servicePassNanos;
    private final LongSupplier nanoTime;
    private static final Duration PASS_EVERY = Duration.ofSeconds(1);

    MemberPresence(Coordinator store, String cluster, Duration ttl) {
        this(store, cluster, ttl, System::nanoTime);
    }

    MemberPresence(Coordinator store, String cluster, Duration ttl, LongSupplier nanoTime) {
        this.store = store;
        this.cluster = cluster;
        this.ttl = ttl;
        this.nanoTime = nanoTime;
    }

    /**
     * Publishes the record (when changed, or every few seconds) and heartbeats the presence; with
     * {@code decided}, also the service registration (only a record written after the cycle's decisions
     * says what the member's role and health are).
     */
    void publish(MemberRecord record, boolean decided) {
        if (presence == null) {
            presence = store.register(Member.of(record.name(), cluster + "-members", record.address(), record.apiPort()), ttl);
        }
        if (decided) {
            updateService(record); // first: after a promotion, clients are waiting for it; peers can wait a round trip
        }
        if (nanoTime.getAsLong() - lastPassNanos > PASS_EVERY.toNanos()) {
            presence.pass(); // a heartbeat per second is plenty for a TTL of seconds, and keeps round trips off hand-overs
            lastPassNanos = nanoTime.getAsLong();
        }
        boolean changed = lastPublished == null || !sameContent(lastPublished, record);
        if (changed || nanoTime.getAsLong() - lastPublishNanos > Duration.ofSeconds(5).toNanos()) {
            presence.putBound(ClusterStore.MEMBERS + record.name(), ClusterStore.encode(record));
            lastPublished = record;
            lastPublishNanos = nanoTime.getAsLong();
        }
    }

    private void updateService(MemberRecord record) {
        Role wanted = record.role();
        MemberRegistration leaving = null;
        Role left = serviceRole;
        if (wanted != serviceRole && service != null) {
            leaving = service;
            service = null;
        }
        serviceRole = wanted;
        // join the service once healthy, not to be marked failing at once
        if (wanted != Role.NONE && (service != null || record.healthy())) {
            if (service == null) {
                String name = cluster + "-" + wanted.name().toLowerCase();
                service = store.register(new Member(record.name(), name, record.address(), record.mysqlPort(),
                        Set.of(wanted.name().toLowerCase()), Map.of("api", record.apiUrl())), ttl);
                serviceHealthy = true;
                servicePassNanos = nanoTime.getAsLong();
                LOG.info("{} joined service {} at {}:{}", record.name(), name, record.address(), record.mysqlPort());
            } else if (record.healthy() != serviceHealthy || nanoTime.getAsLong() - servicePassNanos > PASS_EVERY.toNanos()) {
                // A change of health at once (clients must leave an unhealthy member now); the same health once a second,
                // as the presence: every cycle (twice a second by default) doubled the store's lease traffic for nothing.
                service.heartbeat(record.healthy());
                serviceHealthy = record.healthy();
                servicePassNanos = nanoTime.getAsLong();
            }
        }
        // Left after joining the new one: a promoted member's clients find it one round trip sooner.
        if (leaving != null) {
            leaving.deregister();
            LOG.info("{} left service {}-{}", record.name(), cluster, left.name().toLowerCase());
        }
    }

    /** Leaves every service at once (graceful stop). */
    void withdraw() {
        if (service != null) {
            service.deregister();
            service = null;
        }
        serviceRole = Role.NONE;
    }

    private static boolean sameContent(MemberRecord a, MemberRecord b) {
        return a.withUpdatedAt(0).equals(b.withUpdatedAt(0));
    }

    @Override
    public void close() {
        withdraw();
        if (presence != null) {
            presence.deregister();
            presence = null;
        }
    }
}
