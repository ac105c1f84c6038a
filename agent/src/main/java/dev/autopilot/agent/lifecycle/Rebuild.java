package dev.autopilot.agent.lifecycle;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replaces the member's data off the HA loop, one rebuild at a time, until it succeeds: the agent goes RUNNING →
 * PROVISIONING, and back to RUNNING once the new copy's server runs. A failed attempt moves it to REBUILD_FAILED and
 * the next one starts after a backoff; each new reason for failing is logged once (an operator may need to act, e.g.
 * no healthy donor), repeats only at debug. A graceful stop ends the retries.
 */
public final class Rebuild implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Rebuild.class);

    /** One attempt: stops the server, replaces the data, starts the server on the copy; safe to run again after a failure. */
    @FunctionalInterface
    public interface Attempt {
        void run() throws Exception;
    }

    private final String member;
    private final AgentLifecycle lifecycle;
    private final Backoff backoff;
    private final AtomicBoolean running = new AtomicBoolean();
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile Thread thread;

    public Rebuild(String member, AgentLifecycle lifecycle, Backoff backoff) {
        this.member = member;
        this.lifecycle = lifecycle;
        this.backoff = backoff;
    }

    /**
     * Starts a rebuild unless one runs or the agent is not RUNNING; returns whether it started.
     *
     * @param done called once the rebuilt member's server runs (e.g. wake the HA loop)
     */
    public boolean start(String why, Attempt attempt, Runnable done) {
        if (!running.compareAndSet(false, true)) {
            return false;
        }
        if (!lifecycle.move(AgentState.RUNNING, AgentState.PROVISIONING)) {
            running.set(false);
            return false;
        }
        LOG.info("{}: rebuilding: {}", member, why);
        thread = Thread.ofVirtual().name("rebuild-" + member).start(() -> {
            try {
                retry(attempt, done);
            } finally {
                running.set(false);
            }
        });
        return true;
    }

    /** Whether a rebuild (attempt or backoff) is under way. */
    public boolean isRunning() {
        return running.get();
    }

    private void retry(Attempt attempt, Runnable done) {
        String lastFailure = null;
        for (int failures = 0; ; ) {
            try {
                attempt.run();
                if (lifecycle.move(AgentState.PROVISIONING, AgentState.RUNNING)) {
                    if (failures > 0) {
                        LOG.info("{}: rebuild succeeded after {} failed attempt(s)", member, failures);
                    }
                    done.run();
                }
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                failures++;
                Duration wait = backoff.after(failures);
                if (!lifecycle.move(AgentState.PROVISIONING, AgentState.REBUILD_FAILED)) {
                    return; // stopping
                }
                String failure = e.toString();
                if (!Objects.equals(failure, lastFailure)) {
                    LOG.error("{}: rebuild failed: {}; the database stays stopped; retrying in {} s, then with growing"
                            + " pauses up to {} s while it fails this way", member, failure, wait.toSeconds(), backoff.max().toSeconds(), e);
                } else {
                    LOG.debug("{}: rebuild failed again ({}), attempt {}; retrying in {} s", member, failure, failures, wait.toSeconds());
                }
                lastFailure = failure;
                try {
                    if (closed.await(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                        return;
                    }
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
                if (!lifecycle.move(AgentState.REBUILD_FAILED, AgentState.PROVISIONING)) {
                    return;
                }
            }
        }
    }

    /**
     * Ends retries, interrupts a running attempt and waits (bounded) until it has returned, so that it cannot start a
     * server after the caller stopped it (graceful stop).
     */
    @Override
    public void close() throws InterruptedException {
        closed.countDown();
        Thread t = thread;
        if (t != null) {
            t.interrupt();
            if (!t.join(Duration.ofSeconds(60))) {
                LOG.warn("{}: the rebuild did not end within 60 s of the stop; stopping anyway", member);
            }
        }
    }
}
