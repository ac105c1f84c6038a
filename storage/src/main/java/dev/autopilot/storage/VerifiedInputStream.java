package dev.autopilot.storage;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * Passes an object's content through while hashing it, and throws {@link CorruptObjectException} before it hands
 * over the last byte (or a premature end of stream) if the size or SHA-256 differ from the manifest. A reader that
 * stops early is not checked: it did not read the whole object.
 */
public final class VerifiedInputStream extends FilterInputStream {

    private final StoredObject expected;
    private final MessageDigest digest = Sha256.newDigest();
    private long count;
    private boolean verified;

    public VerifiedInputStream(InputStream content, StoredObject expected) {
        super(content);
        this.expected = expected;
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
        int n = in.read(b, off, len);
        if (n == -1) {
            if (count < expected.size()) {
                throw corrupt("unknown", "it ends after " + count + " of " + expected.size() + " bytes");
            }
            verify();
            return -1;
        }
        count += n;
        if (count > expected.size()) {
            throw corrupt("unknown", "it is longer than its recorded " + expected.size() + " bytes");
        }
        digest.update(b, off, n);
        if (count == expected.size()) {
            verify();
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        // Skipped bytes must still be hashed.
        byte[] buffer = new byte[(int) Math.min(Math.max(n, 0), 64 * 1024)];
        long skipped = 0;
        while (skipped < n) {
            int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
            if (r == -1) {
                break;
            }
            skipped += r;
        }
        return skipped;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    @Override
    public synchronized void mark(int readlimit) {
        // not supported: re-reading would break the running digest
    }

    @Override
    public synchronized void reset() throws IOException {
        throw new IOException("mark/reset not supported");
    }

    private void verify() throws CorruptObjectException {
        if (verified) {
            return;
        }
        String actual = Sha256.hex(digest);
        if (!actual.equals(expected.sha256())) {
            throw corrupt(actual, "its content does not match its digest");
        }
        verified = true;
    }

    private CorruptObjectException corrupt(String actual, String detail) {
        return new CorruptObjectException(expected.key(), expected.sha256(), actual, detail);
    }
}
