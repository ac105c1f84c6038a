package dev.autopilot.mysql.admin;

/** A statement failed or the server could not be reached; the message names the server and the statement (never a password). */
public final class DatabaseException extends RuntimeException {
    private final int errorCode;

    public DatabaseException(String message, int errorCode, Throwable cause) {
        super(message, cause);
        this.errorCode = errorCode;
    }

    /** The server's error number (e.g. 1062 duplicate key), 0 when the failure was not a server error. */
    public int errorCode() {
        return errorCode;
    }
}
