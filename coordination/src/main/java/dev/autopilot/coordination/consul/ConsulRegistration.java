package dev.autopilot.coordination.consul;

import dev.autopilot.coordination.Member;
import dev.autopilot.coordination.MemberRegistration;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An agent service with a TTL check, driven by {@code /v1/agent/check/pass|fail}. Bound keys are acquired by a
 * session tied to that check ({@code Checks=[service:<id>]}, {@code Behavior=delete}): when the check turns
 * critical (failed or TTL run out) Consul invalidates the session and deletes the keys.
 */
final class ConsulRegistration implements MemberRegistration {

    /** Service meta key holding the member name (service IDs carry the cluster and service too). */
    static final String MEMBER_META = "autopilot_member";

    private static final Logger LOG = LoggerFactory.getLogger(ConsulRegistration.class);

    private final ConsulCoordinator consul;
    private final Member member;
    private final Duration ttl;
    private final String serviceId;
    private final String checkId;
    private final Map<String, byte[]> bound = new LinkedHashMap<>();
    private String session; // null until a bound key needs one
    private boolean closed;

    private ConsulRegistration(ConsulCoordinator consul, Member member, Duration ttl) {
        this.consul = consul;
        this.member = member;
        this.ttl = ttl;
        this.serviceId = consul.serviceName(member.service()) + "-" + member.name();
        this.checkId = "service:" + serviceId;
    }

    static ConsulRegistration create(ConsulCoordinator consul, Member member, Duration ttl) {
        ConsulRegistration r = new ConsulRegistration(consul, member, ttl);
        synchronized (r) {
            r.registerService();
        }
        LOG.info("registered member {} as consul service {} (id {}, ttl check {} ms)", member.name(),
                consul.serviceName(member.service()), r.serviceId, ttl.toMillis());
        return r;
    }

    @Override
    public Member member() {
        return member;
    }

    private void registerService() {
        Map<String, String> meta = new LinkedHashMap<>(member.meta());
        meta.put(MEMBER_META, member.name());
        Map<String, Object> check = new LinkedHashMap<>();
        check.put("CheckID", checkId);
        check.put("Name", "autopilot heartbeat of " + member.name());
        check.put("TTL", ttl.toMillis() + "ms");
        check.put("Status", "passing");
        check.put("DeregisterCriticalServiceAfter", Math.max(60_000, ttl.toMillis() * 20) + "ms");
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ID", serviceId);
        body.put("Name", consul.serviceName(member.service()));
        body.put("Tags", List.copyOf(member.tags()));
        body.put("Address", member.address());
        body.put("Port", member.port());
        body.put("Meta", meta);
        body.put("Check", check);
        consul.http().call(consul.retrier(), "register member " + member.name(), "PUT", "/v1/agent/service/register",
                ConsulHttp.json(body));
    }

    @Override
    public synchronized void heartbeat(boolean healthy) {
        if (closed) {
            throw new IllegalStateException("member " + member.name() + " is deregistered");
        }
        var a = consul.http().call(consul.retrier(), "heartbeat of member " + member.name(), "PUT",
                "/v1/agent/check/" + (healthy ? "pass/" : "fail/") + ConsulHttp.enc(checkId), null);
        if (!a.found()) {
            // the agent forgot the service (agent restart, or critical for too long): register again
            registerService();
            LOG.info("member {} re-registered: consul no longer knew service {}", member.name(), serviceId);
            if (!healthy) {
                heartbeat(false);
            }
        }
        if (healthy && !bound.isEmpty() && !sessionAlive()) {
            session = null;
            bound.forEach(this::acquireBound);
        }
    }

    private boolean sessionAlive() {
        if (session == null) {
            return false;
        }
        var a = consul.http().call(consul.retrier(), "read session of member " + member.name(), "GET",
                "/v1/session/info/" + session, null);
        return a.found() && a.json().size() > 0;
    }

    @Override
    public synchronized void putBound(String key, byte[] value) {
        String abs = consul.scope().absolute(key);
        bound.put(abs, value.clone());
        acquireBound(abs, value);
    }

    private void acquireBound(String absKey, byte[] value) {
        if (session == null) {
            Map<String, Object> body = Map.of("Name", "autopilot member " + member.name(), "Checks", List.of(checkId),
                    "Behavior", "delete", "LockDelay", "0s");
            var a = consul.http().call(consul.retrier(), "create session for member " + member.name(), "PUT",
                    "/v1/session/create", ConsulHttp.json(body));
            session = a.json().path("ID").asText();
        }
        consul.http().call(consul.retrier(), "put bound key " + absKey, "PUT", consul.kvPath(absKey) + "?acquire=" + session, value);
    }

    @Override
    public synchronized void deregister() {
        if (closed) {
            return;
        }
        closed = true;
        consul.http().call(consul.retrier(), "deregister member " + member.name(), "PUT",
                "/v1/agent/service/deregister/" + ConsulHttp.enc(serviceId), null);
        if (session != null) {
            consul.http().call(consul.retrier(), "destroy session of member " + member.name(), "PUT",
                    "/v1/session/destroy/" + session, null);
        }
        LOG.info("deregistered member {} (consul service {})", member.name(), serviceId);
    }
}
