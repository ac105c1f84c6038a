package dev.autopilot.backup.clone;

import java.io.IOException;

/** A live clone did not complete; {@link #reason()} says which side or step to look at. */
public final class CloneException extends IOException {

    /** Why a clone failed. */
    public enum Reason {
        /** The other side does not know the clone token (or is not an autopilot clone endpoint). */
        AUTHENTICATION,
        /** The donor is already streaming a clone to another joiner; try another donor or later. */
        BUSY,
        /** mariabackup failed on the donor; the message carries its last output. */
        BACKUP_FAILED,
        /** The stream ended without a valid trailer or failed its byte count/SHA-256 check. */
        BROKEN_STREAM,
        /** The peer spoke something else than the clone protocol. */
        PROTOCOL
    }

    private final Reason reason;

    public CloneException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public CloneException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
