package dev.autopilot.backup.clone;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Closeable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;
import java.util.zip.CRC32C;

/**
 * The joiner's view of a clone stream: the xbstream bytes inside the DATA frames. It returns a clean
 * end-of-stream only after an END trailer whose byte count and CRC32C match what arrived; an ERROR
 * frame, a connection that ends early or a mismatch throw {@link CloneException}, so a partial stream
 * can never pass for a complete copy.
 */
final class CloneStreamReader extends InputStream {

    private final DataInputStream in;
    private final String donor;
    private final Closeable connection;
    private final CRC32C crc = new CRC32C();
    private final long expectedBytes;
    private final String donorDescription;
    private long received;
    private int remainingInFrame;
    private boolean ended;

    /** Reads the first frame: the HEADER, or the donor's refusal. */
    CloneStreamReader(DataInputStream in, String donor, Closeable connection) throws IOException {
        this.in = in;
        this.donor = donor;
        this.connection = connection;
        byte type = readFrameType();
        int len = in.readInt();
        byte[] payload = readControl(len);
        switch (type) {
            case CloneProtocol.HEADER -> {
                ByteBuffer b = ByteBuffer.wrap(payload);
                expectedBytes = b.getLong();
                donorDescription = new String(payload, 8, payload.length - 8, StandardCharsets.UTF_8);
            }
            case CloneProtocol.ERROR -> throw CloneProtocol.readError(payload, donor);
            default -> throw new CloneException(CloneException.Reason.PROTOCOL,
                    "donor " + donor + " sent frame type " + type + " before its header");
        }
    }

    OptionalLong expectedBytes() {
        return expectedBytes >= 0 ? OptionalLong.of(expectedBytes) : OptionalLong.empty();
    }

    String donorDescription() {
        return donorDescription;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (remainingInFrame == 0) {
            if (ended) {
                return -1;
            }
            nextFrame();
        }
        int n;
        try {
            n = in.read(buf, off, Math.min(len, remainingInFrame));
        } catch (IOException e) {
            throw broken("the connection failed (" + e.getMessage() + ")", e);
        }
        if (n < 0) {
            throw broken("the connection closed inside a data frame", null);
        }
        crc.update(buf, off, n);
        remainingInFrame -= n;
        received += n;
        return n;
    }

    private void nextFrame() throws IOException {
        byte type = readFrameType();
        int len;
        try {
            len = in.readInt();
        } catch (IOException e) {
            throw broken("the connection ended inside a frame header", e);
        }
        switch (type) {
            case CloneProtocol.DATA -> {
                if (len < 0 || len > CloneProtocol.MAX_DATA) {
                    throw new CloneException(CloneException.Reason.PROTOCOL, "donor " + donor + " sent a data frame of " + len + " bytes");
                }
                remainingInFrame = len;
            }
            case CloneProtocol.END -> verifyTrailer(readControl(len));
            case CloneProtocol.ERROR -> throw CloneProtocol.readError(readControl(len), donor);
            default -> throw new CloneException(CloneException.Reason.PROTOCOL, "donor " + donor + " sent unknown frame type " + type);
        }
    }

    private void verifyTrailer(byte[] payload) throws CloneException {
        if (payload.length != CloneProtocol.TRAILER_BYTES) {
            throw new CloneException(CloneException.Reason.PROTOCOL, "donor " + donor + " sent a trailer of " + payload.length + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(payload);
        long count = b.getLong();
        int expected = b.getInt();
        int actual = (int) crc.getValue();
        if (count != received) {
            throw broken("the donor sent " + count + " bytes but " + received + " arrived", null);
        }
        if (expected != actual) {
            throw broken(String.format("CRC32C mismatch: donor %08x, received %08x", expected, actual), null);
        }
        ended = true;
    }

    private byte readFrameType() throws IOException {
        try {
            return in.readByte();
        } catch (EOFException e) {
            throw broken("the connection ended without the donor's trailer", e);
        } catch (IOException e) {
            throw broken("the connection failed (" + e.getMessage() + ")", e);
        }
    }

    private byte[] readControl(int len) throws IOException {
        if (len < 0 || len > CloneProtocol.MAX_CONTROL) {
            throw new CloneException(CloneException.Reason.PROTOCOL, "donor " + donor + " sent a control frame of " + len + " bytes");
        }
        byte[] payload = new byte[len];
        try {
            in.readFully(payload);
        } catch (IOException e) {
            throw broken("the connection ended inside a control frame", e);
        }
        return payload;
    }

    private CloneException broken(String what, Throwable cause) {
        return new CloneException(CloneException.Reason.BROKEN_STREAM,
                "clone stream from donor " + donor + " is incomplete after " + received + " bytes: " + what, cause);
    }

    @Override
    public void close() throws IOException {
        connection.close();
    }
}
