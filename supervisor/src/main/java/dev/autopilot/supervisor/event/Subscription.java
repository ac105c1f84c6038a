package dev.autopilot.supervisor.event;

/** A live subscription to an {@link EventBus}; closing it detaches the subscriber. Idempotent. */
public interface Subscription extends AutoCloseable {
    @Override
    void close();
}
