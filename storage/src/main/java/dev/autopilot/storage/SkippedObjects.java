package dev.autopilot.storage;

import org.slf4j.Logger;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Entries a store's listing leaves out because they are not readable objects: a key that breaks {@link ObjectKeys}'
 * rules (put there by hand or by another tool) or a manifest that cannot be decoded. One bad entry must never hide
 * every good one (a restore would find no snapshot at all), so it is skipped and reported, once per key and store:
 * listings repeat every backup cycle, and the warning would otherwise drown the log.
 */
public final class SkippedObjects {
    private final Logger log;
    private final String location;
    private final Set<String> reported = ConcurrentHashMap.newKeySet();

    public SkippedObjects(Logger log, String location) {
        this.log = log;
        this.location = location;
    }

    /** Records that {@code entry} was left out of a listing because of {@code why}; warns the first time. */
    public void skip(String entry, String why) {
        if (reported.add(entry)) {
            log.warn("{}: '{}' is left out of listings: {}; listings go on without it (move it away, or delete it if it"
                    + " is not needed; a broken manifest means that object cannot be used)", location, entry, why);
        }
    }

    /** The entries skipped so far. */
    public Set<String> entries() {
        return Set.copyOf(reported);
    }
}
