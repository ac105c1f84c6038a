package dev.autopilot.backup.restore;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * An open xbstream from a {@link ProvisionSource}.
 *
 * @param xbstream      the bytes the Restorer unpacks; reading past a broken or failed source throws
 * @param expectedBytes the expected stream size when the source knows it (an estimate, for the ETA)
 * @param origin        where it comes from, for log lines
 */
public record ProvisionStream(InputStream xbstream, OptionalLong expectedBytes, String origin) implements Closeable {

    public ProvisionStream {
        Objects.requireNonNull(xbstream, "xbstream");
        Objects.requireNonNull(expectedBytes, "expectedBytes");
        Objects.requireNonNull(origin, "origin");
    }

    @Override
    public void close() throws IOException {
        xbstream.close();
    }
}
