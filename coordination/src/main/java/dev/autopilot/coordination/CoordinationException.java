package dev.autopilot.coordination;

/**
 * The coordination store could not be reached (or answered with an error) within the request timeout, after
 * retries with backoff. A refused write (compare-and-set lost, lock held by another) is never an exception: those
 * methods return {@code false}. The caller decides what unreachability means (an agent holding the leader lock
 * relies on {@link LeaseLostListener} instead, which fires on its own clock).
 */
public class CoordinationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** An error with an operator-readable message (what failed, against which endpoints, what to check). */
    public CoordinationException(String message, Throwable cause) {
        super(message, cause);
    }

    /** An error without an underlying cause. */
    public CoordinationException(String message) {
        super(message);
    }
}
