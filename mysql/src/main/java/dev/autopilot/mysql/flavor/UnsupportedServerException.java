package dev.autopilot.mysql.flavor;

/** The server is a product or version Autopilot does not support; the message says which are. */
public final class UnsupportedServerException extends RuntimeException {
    public UnsupportedServerException(String message) {
        super(message);
    }
}
