package dev.autopilot.supervisor.event;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publish/subscribe hub for {@link Event}s. Every subscriber owns a queue drained by its own named
 * virtual thread, so delivery is ordered per subscriber, a slow subscriber never delays the others,
 * and {@link #publish(Event)} never blocks. A subscriber that throws is logged and keeps receiving.
 */
public final class EventBus implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventBus.class);

    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    /** Delivers {@code event} to every current subscriber, asynchronously and in publication order. */
    public void publish(Event event) {
        if (closed.get()) {
            return;
        }
        LOG.debug("event {}", event);
        for (Subscriber s : subscribers) {
            s.queue.add(event);
        }
    }

    /**
     * Attaches {@code handler}; it receives every event published after this call returns.
     *
     * @param name names the delivery thread ({@code event-<name>}) and the log line when the handler throws
     */
    public Subscription subscribe(String name, Consumer<Event> handler) {
        Subscriber s = new Subscriber(name, handler);
        subscribers.add(s);
        s.thread = Thread.ofVirtual().name("event-" + name).start(s::drain);
        return () -> {
            if (subscribers.remove(s)) {
                s.thread.interrupt();
            }
        };
    }

    /** Detaches every subscriber; later publications are dropped. */
    @Override
    public void close() {
        closed.set(true);
        for (Subscriber s : subscribers) {
            s.thread.interrupt();
        }
        subscribers.clear();
    }

    private static final class Subscriber {
        final String name;
        final Consumer<Event> handler;
        final LinkedBlockingQueue<Event> queue = new LinkedBlockingQueue<>();
        volatile Thread thread;

        Subscriber(String name, Consumer<Event> handler) {
            this.name = name;
            this.handler = handler;
        }

        void drain() {
            while (!Thread.currentThread().isInterrupted()) {
                Event e;
                try {
                    e = queue.take();
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
                try {
                    handler.accept(e);
                } catch (RuntimeException | Error ex) {
                    // A broken subscriber must not take the bus (or its own later events) down with it.
                    LOG.error("event subscriber {} failed on {}; it keeps receiving later events", name, e, ex);
                }
            }
        }
    }
}
