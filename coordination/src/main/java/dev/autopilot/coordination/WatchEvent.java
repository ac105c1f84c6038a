package dev.autopilot.coordination;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * One change seen by a {@link Watch}.
 *
 * @param type     PUT (created or changed) or DELETE (deleted, expired, or for a service: no longer healthy)
 * @param key      key relative to the cluster scope; for service watches, the member name
 * @param value    new value (empty for DELETE)
 * @param revision store revision of the change (etcd revision, Consul index); non-decreasing within one watch
 * @param member   for service watches, the member (on DELETE: the last known record when the store reports it)
 */
public record WatchEvent(Type type, String key, byte[] value, long revision, Optional<Member> member) {

    /** Kind of change. */
    public enum Type { PUT, DELETE }

    /** The value as UTF-8 text. */
    public String text() {
        return new String(value, StandardCharsets.UTF_8);
    }
}
