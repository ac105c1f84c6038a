package dev.autopilot.coordination;

/**
 * Receives the changes of one {@link Watch}, one at a time, in store order, on the watch's own thread (so a slow
 * listener delays only its own watch). The agent bridges these onto the supervisor's event bus.
 */
@FunctionalInterface
public interface WatchListener {

    /** One change. Exceptions are logged and do not stop the watch. */
    void onEvent(WatchEvent event);

    /**
     * The watch ended and cannot resume without losing changes (e.g. etcd compacted the revisions it would resume
     * from). The listener should re-read the state and watch again. Default: nothing.
     */
    default void onError(CoordinationException error) {
    }
}
