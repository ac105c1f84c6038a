package dev.autopilot.coordination;

import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A member of a service as other members and clients discover it.
 *
 * @param name    unique member name within the cluster (the agent's identity; also the leader-lock holder id)
 * @param service logical service name, e.g. {@code primary} or {@code replica}; the backend scopes it by cluster
 * @param address host or IP clients connect to
 * @param port    TCP port clients connect to
 * @param tags    free-form tags (e.g. {@code nofailover})
 * @param meta    small string metadata (role, version); never secrets: the store is readable by every agent
 */
public record Member(String name, String service, String address, int port, Set<String> tags, Map<String, String> meta) {

    public Member {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(address, "address");
        if (!name.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("member name '" + name + "': use letters, digits, '_', '.', '-'");
        }
        if (!service.matches("[A-Za-z0-9_-]+")) {
            throw new IllegalArgumentException("service name '" + service + "': use letters, digits, '_', '-'");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("member " + name + " port " + port + ": must be 0..65535");
        }
        tags = Set.copyOf(tags == null ? Set.of() : tags);
        meta = Map.copyOf(meta == null ? Map.of() : meta);
    }

    /** A member without tags or metadata. */
    public static Member of(String name, String service, String address, int port) {
        return new Member(name, service, address, port, Set.of(), Map.of());
    }
}
