package dev.autopilot.coordination.support;

import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reachability of the store as seen by one coordinator, logged once per change (reachable → unreachable →
 * reachable), never per attempt, so an outage of minutes produces two log lines.
 */
public final class StoreHealth {

    private static final Logger LOG = LoggerFactory.getLogger(StoreHealth.class);

    private final String store;
    /** nanoTime when it became unreachable, or 0 while reachable. */
    private final AtomicLong downSince = new AtomicLong();

    /** @param store how log lines name the store, e.g. {@code etcd [http://127.0.0.1:2379] scope /autopilot/c1/} */
    public StoreHealth(String store) {
        this.store = store;
    }

    /** An attempt failed with a transport error. */
    public void failed(String operation, Throwable cause) {
        long now = System.nanoTime() | 1;
        if (downSince.compareAndSet(0, now)) {
            LOG.warn("{} unreachable ({} failed: {}); retrying with backoff, locks fall back to their lease deadline",
                    store, operation, Errors.describe(cause));
        }
    }

    /** An attempt succeeded. */
    public void succeeded() {
        long since = downSince.get();
        if (since != 0 && downSince.compareAndSet(since, 0)) {
            LOG.info("{} reachable again after {} ms", store, (System.nanoTime() - since) / 1_000_000);
        }
    }

    /** Whether the last attempt failed. */
    public boolean isDown() {
        return downSince.get() != 0;
    }

    /** The store's description for messages. */
    public String store() {
        return store;
    }
}
