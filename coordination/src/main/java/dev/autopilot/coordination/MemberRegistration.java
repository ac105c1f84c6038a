package dev.autopilot.coordination;

/**
 * A live registration of a {@link Member}, kept by a TTL that only heartbeats extend. The registration runs no
 * timer of its own: the agent calls {@link #heartbeat(boolean)} from the supervisor's health events, so a member
 * whose health checks stop (or whose agent dies) disappears from {@link Coordinator#healthyMembers} within the TTL.
 * Choose the TTL larger than the health-check interval plus its timeout.
 *
 * <p>Backends: etcd keeps the member record under {@code <scope>/services/<service>/<name>} bound to a lease;
 * Consul registers an agent service with a TTL check.
 */
public interface MemberRegistration extends AutoCloseable {

    /** The registered member. */
    Member member();

    /**
     * Reports one health result. {@code true} extends the TTL (re-creating the registration and its bound keys if it
     * had expired, so a member returns when heartbeats resume); {@code false} removes the member from the healthy
     * list at once (etcd: lease revoked; Consul: check set critical). Blocking, at most the request timeout.
     *
     * @throws CoordinationException store unreachable
     */
    void heartbeat(boolean healthy);

    /** {@code heartbeat(true)}. */
    default void pass() {
        heartbeat(true);
    }

    /** {@code heartbeat(false)}. */
    default void fail() {
        heartbeat(false);
    }

    /**
     * Puts a key (relative to the cluster scope) that lives exactly as long as this registration is healthy: it
     * vanishes when the TTL runs out or on {@code fail()}/{@link #deregister()}, and is written again when the
     * registration returns. For member records that must not outlive their agent.
     *
     * @throws CoordinationException store unreachable
     */
    void putBound(String key, byte[] value);

    /** Removes the registration and its bound keys now (graceful stop). Idempotent. */
    void deregister();

    /** {@link #deregister()}. */
    @Override
    default void close() {
        deregister();
    }
}
