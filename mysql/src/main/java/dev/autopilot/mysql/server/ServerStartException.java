package dev.autopilot.mysql.server;

/** The server could not be initialised, started or stopped; the message carries the error-log tail when there is one. */
public final class ServerStartException extends RuntimeException {
    public ServerStartException(String message) {
        super(message);
    }

    public ServerStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
