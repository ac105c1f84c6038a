package dev.autopilot.storage;

import java.io.InputStream;
import java.security.MessageDigest;
import java.util.SplittableRandom;

/** {@code size} pseudo-random bytes made on the fly (never held in memory), hashed as they are handed out. */
public final class GeneratedStream extends InputStream {

    private final long size;
    private final SplittableRandom random;
    private final MessageDigest digest = Sha256.newDigest();
    private final byte[] block = new byte[64 * 1024];
    private int blockPos = block.length;
    private long produced;

    public GeneratedStream(long size, long seed) {
        this.size = size;
        this.random = new SplittableRandom(seed);
    }

    @Override
    public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (produced == size) {
            return -1;
        }
        if (blockPos == block.length) {
            random.nextBytes(block);
            blockPos = 0;
        }
        int n = (int) Math.min(Math.min(len, block.length - blockPos), size - produced);
        System.arraycopy(block, blockPos, b, off, n);
        digest.update(block, blockPos, n);
        blockPos += n;
        produced += n;
        return n;
    }

    long produced() {
        return produced;
    }

    /** The SHA-256 of everything produced; call once, at the end. */
    public String sha256() {
        return Sha256.hex(digest);
    }
}
