package dev.autopilot.storage;

import java.io.IOException;

/** {@link SnapshotStore#get} of a key that holds no complete object. */
public final class ObjectNotFoundException extends IOException {

    private final String key;

    public ObjectNotFoundException(String key, String location) {
        super("no object '" + key + "' in " + location);
        this.key = key;
    }

    public String key() {
        return key;
    }
}
