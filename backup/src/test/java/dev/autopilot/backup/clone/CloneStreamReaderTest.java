package dev.autopilot.backup.clone;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The joiner's framing checks: only a matching trailer is a clean end (pure logic, no servers). */
class CloneStreamReaderTest {

    private static final byte[] DATA = "xbstream bytes ".repeat(5000).getBytes(StandardCharsets.US_ASCII);

    @Test
    void completeStreamReadsBackExactlyAndEndsCleanly() throws IOException {
        CloneStreamReader reader = reader(frames(true, DATA.length, crc(DATA), null));
        assertThat(reader.expectedBytes()).hasValue(DATA.length);
        assertThat(reader.readAllBytes()).isEqualTo(DATA);
        assertThat(reader.read()).isEqualTo(-1);
    }

    @Test
    void streamThatEndsWithoutTrailerIsBrokenNotComplete() throws IOException {
        CloneStreamReader reader = reader(frames(false, 0, 0, null));
        assertThatThrownBy(reader::readAllBytes)
                .isInstanceOfSatisfying(CloneException.class, e -> assertThat(e.reason()).isEqualTo(CloneException.Reason.BROKEN_STREAM))
                .hasMessageContaining("without the donor's trailer");
    }

    @Test
    void streamCutInsideADataFrameIsBroken() throws IOException {
        byte[] whole = frames(true, DATA.length, crc(DATA), null);
        CloneStreamReader reader = reader(Arrays.copyOf(whole, whole.length / 2));
        assertThatThrownBy(reader::readAllBytes)
                .isInstanceOfSatisfying(CloneException.class, e -> assertThat(e.reason()).isEqualTo(CloneException.Reason.BROKEN_STREAM));
    }

    @Test
    void trailerWithAnotherDigestIsRejected() throws IOException {
        int digest = crc(DATA) ^ 1;
        CloneStreamReader reader = reader(frames(true, DATA.length, digest, null));
        assertThatThrownBy(reader::readAllBytes).hasMessageContaining("CRC32C mismatch");
    }

    @Test
    void trailerWithAnotherByteCountIsRejected() throws IOException {
        CloneStreamReader reader = reader(frames(true, DATA.length + 1, crc(DATA), null));
        assertThatThrownBy(reader::readAllBytes).hasMessageContaining("bytes but");
    }

    @Test
    void errorFrameAfterDataSurfacesTheDonorsMessage() throws IOException {
        CloneStreamReader reader = reader(frames(false, 0, 0, "mariabackup exited with code 1"));
        assertThatThrownBy(reader::readAllBytes)
                .isInstanceOfSatisfying(CloneException.class, e -> assertThat(e.reason()).isEqualTo(CloneException.Reason.BACKUP_FAILED))
                .hasMessageContaining("mariabackup exited with code 1");
    }

    private static CloneStreamReader reader(byte[] wire) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(wire));
        return new CloneStreamReader(in, "test-donor", in);
    }

    /** Header, DATA in 7000-byte frames, then a trailer (when asked) or an error frame (when given). */
    private static byte[] frames(boolean trailer, long count, int digest, String error) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        byte[] description = "test".getBytes(StandardCharsets.UTF_8);
        byte[] header = ByteBuffer.allocate(8 + description.length).putLong(DATA.length).put(description).array();
        CloneProtocol.writeFrame(out, CloneProtocol.HEADER, header, 0, header.length);
        for (int off = 0; off < DATA.length; off += 7000) {
            CloneProtocol.writeFrame(out, CloneProtocol.DATA, DATA, off, Math.min(7000, DATA.length - off));
        }
        if (trailer) {
            byte[] t = ByteBuffer.allocate(CloneProtocol.TRAILER_BYTES).putLong(count).putInt(digest).array();
            CloneProtocol.writeFrame(out, CloneProtocol.END, t, 0, t.length);
        }
        if (error != null) {
            CloneProtocol.writeError(out, CloneException.Reason.BACKUP_FAILED, error);
        }
        out.flush();
        return bytes.toByteArray();
    }

    private static int crc(byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(data);
        return (int) crc.getValue();
    }
}
