package dev.autopilot.coordination;

import java.nio.charset.StandardCharsets;

/**
 * A key's value with its store version.
 *
 * @param key     key relative to the cluster scope
 * @param value   raw bytes
 * @param version the store's modification version (etcd mod_revision, Consul ModifyIndex): strictly greater
 *                after every change of this key; pass it to {@link Coordinator#compareAndSet}
 */
public record Versioned(String key, byte[] value, long version) {

    /** The value as UTF-8 text. */
    public String text() {
        return new String(value, StandardCharsets.UTF_8);
    }
}
