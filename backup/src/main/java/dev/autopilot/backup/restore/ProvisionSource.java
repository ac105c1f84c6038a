package dev.autopilot.backup.restore;

import java.io.IOException;

/**
 * Where a joining node's copy of the database comes from: a live clone streamed from a healthy peer,
 * or (later) the latest snapshot in the object store. Either way the result is one xbstream that the
 * {@link Restorer} unpacks, prepares and moves into place.
 */
public interface ProvisionSource {

    /**
     * Opens the stream. Failing here (donor unreachable, refused, no snapshot) leaves nothing on disk.
     * The caller closes the returned stream; a stream that ends without its source's end marker must
     * throw from {@code read}, never return a clean end-of-stream.
     */
    ProvisionStream open() throws IOException;

    /** For log lines: where the copy comes from, e.g. {@code live clone from 127.0.5.1:4444}. */
    String describe();
}
