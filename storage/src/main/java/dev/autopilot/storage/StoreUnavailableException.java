package dev.autopilot.storage;

/**
 * The object store cannot be reached (connection refused or timed out, server errors after retries, the directory
 * or its volume is missing). Transient by nature: callers retry with backoff and never treat it as a database fault.
 */
public final class StoreUnavailableException extends RuntimeException {

    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
