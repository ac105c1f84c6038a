package dev.autopilot.agent.history;

import dev.autopilot.coordination.CoordinationException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This member's {@link History}: {@link #record} puts the event in a bounded in-memory buffer and returns at once; one
 * virtual thread writes the buffer to the store ({@link HistoryLog}) oldest first, retrying with backoff while the
 * store does not answer. When the buffer is full the oldest waiting event is dropped and counted, and once the store
 * answers again a {@link EventKind#HISTORY_DROPPED} event says how many went: a store outage loses bounded history,
 * never blocks a decision. Every {@value #TRIM_EVERY} appends the writer trims the history to its limit.
 */
public final class HistoryWriter implements History, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HistoryWriter.class);
    static final int TRIM_EVERY = 20;
    private static final Duration FIRST_RETRY = Duration.ofMillis(200);
    private static final Duration LAST_RETRY = Duration.ofSeconds(5);

    private final String member;
    private final HistoryLog log;
    private final Clock clock;
    private final int capacity;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition waiting = lock.newCondition();
    private final ArrayDeque<HistoryEvent> buffer = new ArrayDeque<>();
    private long dropped;
    private long sequence;
    private boolean closed;
    private Thread thread;

    /** @param capacity events held while the store does not answer */
    public HistoryWriter(String member, HistoryLog log, Clock clock, int capacity) {
        this.member = member;
        this.log = log;
        this.clock = clock;
        this.capacity = capacity;
    }

    /** Starts the writing thread; returns this. */
    public HistoryWriter start() {
        thread = Thread.ofVirtual().name("history-writer-" + member).start(this::drain);
        return this;
    }

    @Override
    public void record(EventKind kind, String message, Map<String, ?> details) {
        enqueue(kind, message, details, true);
    }

    /** @param evict drop the oldest waiting event when the buffer is full (every event but the notice of drops) */
    private void enqueue(EventKind kind, String message, Map<String, ?> details, boolean evict) {
        HistoryEvent event = new HistoryEvent(clock.millis(), member, kind.wire(), message, new LinkedHashMap<>(details));
        lock.lock();
        try {
            if (closed) {
                return;
            }
            if (evict && buffer.size() >= capacity) {
                buffer.pollFirst();
                dropped++;
            }
            buffer.addLast(event);
            waiting.signal();
        } finally {
            lock.unlock();
        }
    }

    /** Events waiting to be written (tests, status). */
    public int pending() {
        lock.lock();
        try {
            return buffer.size();
        } finally {
            lock.unlock();
        }
    }

    private void drain() {
        Duration delay = FIRST_RETRY;
        boolean unreachable = false;
        int appended = 0;
        while (true) {
            HistoryEvent next;
            lock.lock();
            try {
                while (buffer.isEmpty() && !closed) {
                    waiting.awaitUninterruptibly();
                }
                if (buffer.isEmpty()) {
                    return;
                }
                next = buffer.peekFirst();
            } finally {
                lock.unlock();
            }
            try {
                log.append(next, sequence++);
                appended++;
                if (appended % TRIM_EVERY == 0) {
                    log.trim();
                }
                delay = FIRST_RETRY;
                if (unreachable) {
                    unreachable = false;
                    LOG.info("{}: history is written to the store again", member);
                }
                long lost = removeWritten(next);
                if (lost > 0) {
                    enqueue(EventKind.HISTORY_DROPPED, lost + " event(s) of " + member + " were dropped while the store did not"
                            + " answer (the buffer holds " + capacity + ")", Map.of("dropped", lost), false);
                }
            } catch (CoordinationException | java.io.UncheckedIOException e) {
                if (!unreachable) {
                    unreachable = true;
                    LOG.info("{}: cannot write history to the store ({}); keeping up to {} event(s) in memory and retrying",
                            member, e.getMessage(), capacity);
                }
                if (!pause(delay)) {
                    return;
                }
                delay = delay.multipliedBy(2).compareTo(LAST_RETRY) > 0 ? LAST_RETRY : delay.multipliedBy(2);
            } catch (RuntimeException e) {
                LOG.warn("{}: dropped a history event that cannot be written ({}): {}", member, e, next.message());
                removeWritten(next);
            }
        }
    }

    /** Removes {@code event} from the head (unless it was dropped meanwhile); returns the drops to report, resetting them. */
    private long removeWritten(HistoryEvent event) {
        lock.lock();
        try {
            if (buffer.peekFirst() == event) {
                buffer.pollFirst();
            } else if (dropped > 0) {
                dropped--; // it overflowed while being written, and was written after all
            }
            long lost = dropped;
            dropped = 0;
            return lost;
        } finally {
            lock.unlock();
        }
    }

    /** Waits before the next retry; false once closed. */
    private boolean pause(Duration delay) {
        lock.lock();
        try {
            if (!closed) {
                waiting.await(delay.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            }
            return !closed;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** Stops writing after what is buffered has been written, waiting at most {@code patience}; the rest is lost. */
    public void close(Duration patience) {
        lock.lock();
        try {
            closed = true;
            waiting.signalAll();
        } finally {
            lock.unlock();
        }
        if (thread != null) {
            try {
                if (!thread.join(patience)) {
                    thread.interrupt();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(2));
    }
}
