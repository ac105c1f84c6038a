package dev.autopilot.mysql.gtid;

/** A GTID string could not be parsed; the message names the offending text and the expected form. */
public final class GtidFormatException extends IllegalArgumentException {
    public GtidFormatException(String message) {
        super(message);
    }
}
