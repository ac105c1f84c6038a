package dev.autopilot.coordination.etcd;

import dev.autopilot.coordination.Coordinator;
import dev.autopilot.coordination.Member;
import dev.autopilot.coordination.MemberRegistration;
import dev.autopilot.coordination.support.MemberCodec;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A member record {@code <scope>/services/<service>/<name>} bound to a lease of the registration's TTL. The lease
 * is renewed only by {@link #heartbeat(boolean) heartbeat(true)}; when it has expired the record (and the bound
 * keys) are written again under a new lease.
 */
final class EtcdRegistration implements MemberRegistration {

    private static final Logger LOG = LoggerFactory.getLogger(EtcdRegistration.class);

    private final EtcdCoordinator etcd;
    private final Member member;
    private final long ttlSeconds;
    private final String key;
    /** Bound keys (absolute) and what was last written under each. */
    private final Map<String, Bound> bound = new LinkedHashMap<>();
    private long leaseId; // 0: no live lease (failed, expired or deregistered)
    private boolean closed;

    private EtcdRegistration(EtcdCoordinator etcd, Member member, Duration ttl) {
        this.etcd = etcd;
        this.member = member;
        this.ttlSeconds = Math.max(2, (ttl.toMillis() + 999) / 1000);
        this.key = etcd.scope().absolute(servicePrefix(member.service()) + member.name());
    }

    static String servicePrefix(String service) {
        return Coordinator.REGISTRATIONS + service + "/";
    }

    static EtcdRegistration create(EtcdCoordinator etcd, Member member, Duration ttl) {
        EtcdRegistration r = new EtcdRegistration(etcd, member, ttl);
        synchronized (r) {
            r.establish();
        }
        LOG.info("registered member {} in service {} (etcd key {}, ttl {} s)", member.name(), member.service(), r.key, r.ttlSeconds);
        return r;
    }

    @Override
    public Member member() {
        return member;
    }

    /** A bound key's value and its mod revision after this registration last wrote it (0: not written under a live lease). */
    private record Bound(byte[] value, long revision) {
    }

    private void establish() {
        long id = etcd.grant("member " + member.name(), ttlSeconds);
        etcd.put(key, MemberCodec.encode(member), id); // the same bytes for the registration's life: a late repeat changes nothing
        // the old lease took the bound keys with it: absent is the expected state
        bound.replaceAll((k, b) -> new Bound(b.value(), etcd.guardedPut(k, b.value(), id, 0)));
        leaseId = id;
    }

    @Override
    public synchronized void heartbeat(boolean healthy) {
        if (closed) {
            throw new IllegalStateException("member " + member.name() + " is deregistered");
        }
        if (!healthy) {
            if (leaseId != 0) {
                revoke();
                LOG.info("member {} reported unhealthy: removed from service {} until it passes again", member.name(), member.service());
            }
            return;
        }
        if (leaseId != 0 && keepAlive()) {
            return;
        }
        boolean expired = leaseId != 0;
        establish();
        LOG.info("member {} re-registered in service {} ({})", member.name(), member.service(),
                expired ? "its lease had expired: no heartbeat within the ttl" : "healthy again");
    }

    /** Returns false if the lease no longer exists (expired). */
    private boolean keepAlive() {
        return etcd.keepAlive("heartbeat of member " + member.name(), leaseId, etcd.requestTimeout());
    }

    private void revoke() {
        long id = leaseId;
        leaseId = 0;
        etcd.revoke("revoke lease of member " + member.name(), id, etcd.requestTimeout());
    }

    @Override
    public synchronized void putBound(String relativeKey, byte[] value) {
        String abs = etcd.scope().absolute(relativeKey);
        Bound last = bound.get(abs);
        // Written by revision: a member record that changes every cycle must not be overwritten by a late repeat of an
        // older one (an election would compare a stale position). Until the write succeeds the old revision stands.
        long revision = last == null ? 0 : last.revision();
        bound.put(abs, new Bound(value.clone(), revision));
        if (leaseId != 0) {
            bound.put(abs, new Bound(value.clone(), etcd.guardedPut(abs, value, leaseId, revision)));
        }
    }

    @Override
    public synchronized void deregister() {
        if (closed) {
            return;
        }
        closed = true;
        if (leaseId != 0) {
            revoke();
        }
        LOG.info("deregistered member {} from service {}", member.name(), member.service());
    }
}
