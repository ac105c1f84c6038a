package dev.autopilot.coordination.support;

import dev.autopilot.coordination.CoordinationException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

/**
 * Runs store operations with retries and exponential backoff (50 ms doubling to 1 s, with jitter) within a
 * deadline, reporting each outcome to {@link StoreHealth}. After the deadline: {@link CoordinationException}
 * naming the operation, the store and the last error.
 */
public final class Retrier {

    /** One attempt; may throw anything. */
    @FunctionalInterface
    public interface Attempt<T> {
        /** Runs the attempt with the time left until the deadline, in nanoseconds. */
        T run(long remainingNanos) throws Exception;
    }

    private final StoreHealth health;
    private final Duration timeout;
    private final Predicate<Throwable> isAnswer;

    /**
     * @param isAnswer recognises errors that are the store's answer (not found, permission denied, ...): they prove
     *                 the store reachable and are not retried
     */
    public Retrier(StoreHealth health, Duration timeout, Predicate<Throwable> isAnswer) {
        this.health = health;
        this.timeout = timeout;
        this.isAnswer = isAnswer;
    }

    /** Retries {@code attempt} while {@code retryable} says the failure is safe to repeat, up to the timeout. */
    public <T> T call(String operation, Predicate<Throwable> retryable, Attempt<T> attempt) {
        return call(operation, timeout, retryable, attempt);
    }

    /** As {@link #call(String, Predicate, Attempt)} with an explicit bound. */
    public <T> T call(String operation, Duration bound, Predicate<Throwable> retryable, Attempt<T> attempt) {
        long deadline = System.nanoTime() + bound.toNanos();
        long backoffMs = 50;
        int attempts = 0;
        while (true) {
            attempts++;
            try {
                T result = attempt.run(Math.max(1, deadline - System.nanoTime()));
                health.succeeded();
                return result;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CoordinationException(operation + " interrupted", e);
            } catch (CoordinationException e) {
                throw e;
            } catch (Exception e) {
                Throwable cause = Errors.unwrap(e);
                if (isAnswer.test(cause)) {
                    health.succeeded();
                    throw new CoordinationException(health.store() + ": " + operation + " refused: " + Errors.describe(cause), cause);
                }
                health.failed(operation, cause);
                long left = deadline - System.nanoTime();
                if (!retryable.test(cause) || left <= 0) {
                    throw new CoordinationException(health.store() + ": " + operation + " failed after " + attempts
                            + " attempt(s) in " + bound.toMillis() + " ms: " + Errors.describe(cause)
                            + "; check that the store runs and the endpoints are right", cause);
                }
                long sleep = Math.min(backoffMs + ThreadLocalRandom.current().nextLong(backoffMs / 2 + 1), left / 1_000_000);
                try {
                    Thread.sleep(Math.max(1, sleep));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new CoordinationException(operation + " interrupted", ie);
                }
                backoffMs = Math.min(1000, backoffMs * 2);
            }
        }
    }
}
