package dev.autopilot.storage.manta;

import dev.autopilot.storage.ProgressListener;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * The body of a streamed upload: the first buffered block, then the rest of the caller's stream, hashed and counted
 * as the HTTP client reads it. At the end of the data it runs {@code beforeEnd} (hiding the object being replaced)
 * before it reports the end, so the server completes the object only after that. A failure of the caller's stream
 * (or of {@code beforeEnd}) is kept, so that the upload's error is reported as that failure, not as the store's.
 */
final class UploadSource extends InputStream {

    /** Runs once at the end of the data, before the upload may complete. */
    @FunctionalInterface
    interface BeforeEnd {
        void run() throws IOException;
    }

    private final byte[] first;
    private final InputStream rest;
    private final MessageDigest digest;
    private final ProgressListener progress;
    private final BeforeEnd beforeEnd;
    private int firstAt;
    private volatile long count;
    private boolean ended;
    private boolean opened;
    private volatile Exception failure;

    UploadSource(byte[] first, InputStream rest, MessageDigest digest, ProgressListener progress, BeforeEnd beforeEnd) {
        this.first = first;
        this.rest = rest;
        this.digest = digest;
        this.progress = progress;
        this.beforeEnd = beforeEnd;
    }

    /** This stream, for the body publisher; a second call (a repeated request) is refused: the data is gone. */
    synchronized InputStream open() {
        if (opened) {
            throw new IllegalStateException("a streamed upload cannot be sent twice");
        }
        opened = true;
        return this;
    }

    /** Bytes handed to the HTTP client so far. */
    long count() {
        return count;
    }

    /** What failed while the data was read: the caller's stream or the hiding step; null if nothing did. */
    Exception failure() {
        return failure;
    }

    boolean ended() {
        return ended;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n == -1 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (ended) {
            return -1;
        }
        int n;
        if (firstAt < first.length) {
            n = Math.min(len, first.length - firstAt);
            System.arraycopy(first, firstAt, b, off, n);
            firstAt += n; // the first block is hashed by the caller already
        } else {
            try {
                n = rest.read(b, off, len);
            } catch (IOException | RuntimeException e) {
                failure = e;
                throw e;
            }
            if (n > 0) {
                digest.update(b, off, n);
            }
        }
        if (n == -1) {
            try {
                beforeEnd.run();
            } catch (IOException | RuntimeException e) {
                failure = e;
                throw new IOException("upload stopped: " + e.getMessage(), e);
            }
            ended = true;
            return -1;
        }
        count += n;
        progress.stored(count);
        return n;
    }
}
