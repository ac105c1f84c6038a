package dev.autopilot.backup.clone;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * The wire format of a live clone (docs/provisioning.md has the full description).
 *
 * <pre>
 * joiner → donor   "APCLONE3", joiner nonce (32 bytes)
 * donor  → joiner  "APCLONE3", donor nonce (32)
 * joiner → donor   HMAC-SHA256(token, "joiner" | donor nonce | joiner nonce)
 * donor  → joiner  frames: type (1 byte), length (4 bytes, big-endian), payload
 *   PROOF  (5): HMAC-SHA256(token, "donor" | joiner nonce | donor nonce), only after the joiner's proof checked out
 *   HEADER (1): expected size (8 bytes, -1 unknown), donor description (UTF-8)
 *   DATA   (2): up to 4 MiB of xbstream
 *   END    (3): byte count (8), CRC32C of all DATA payloads (4): the only clean end
 *   ERROR  (4): reason (1 byte, {@link CloneException.Reason} ordinal), message (UTF-8)
 * </pre>
 * Both sides prove the token without sending it; the nonces make every proof single-use. The joiner proves first:
 * anyone who can reach a donor's port could otherwise collect a donor proof for a nonce of their choice and guess
 * the token offline at leisure; a joiner talks only to a donor named in the coordination store. (Version 2 had the
 * donor prove first; the magic changed with the order, so mixed versions fail with a clear protocol error.) The trailer's
 * CRC32C catches truncation and corruption, not tampering (the stream is not protected against an
 * active attacker either way): it costs a few milliseconds per GB where SHA-256 cost most of a second.
 */
final class CloneProtocol {

    static final byte[] MAGIC = "APCLONE3".getBytes(StandardCharsets.US_ASCII);
    static final int NONCE_BYTES = 32;
    static final int MAC_BYTES = 32;
    static final int MAX_DATA = 4 << 20;
    static final int FRAME_HEADER_BYTES = 5;
    static final int TRAILER_BYTES = 8 + 4;
    static final int MAX_CONTROL = 64 * 1024;

    static final byte HEADER = 1;
    static final byte DATA = 2;
    static final byte END = 3;
    static final byte ERROR = 4;
    static final byte PROOF = 5;

    private static final SecureRandom RANDOM = new SecureRandom();

    private CloneProtocol() {
    }

    static byte[] nonce() {
        byte[] n = new byte[NONCE_BYTES];
        RANDOM.nextBytes(n);
        return n;
    }

    static byte[] proof(CloneToken token, String role, byte[] first, byte[] second) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(token.keyBytes(), "HmacSHA256"));
            mac.update(role.getBytes(StandardCharsets.US_ASCII));
            mac.update(first);
            mac.update(second);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    /** Constant-time comparison, so timing does not reveal how much of a proof was right. */
    static boolean sameProof(byte[] expected, byte[] actual) {
        return MessageDigest.isEqual(expected, actual);
    }

    static void readMagic(DataInputStream in, String peer) throws IOException {
        byte[] magic = new byte[MAGIC.length];
        in.readFully(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new CloneException(CloneException.Reason.PROTOCOL, peer + " does not speak the autopilot clone protocol (v3; an agent of another version?)");
        }
    }

    static void writeFrame(DataOutputStream out, byte type, byte[] payload, int off, int len) throws IOException {
        out.writeByte(type);
        out.writeInt(len);
        out.write(payload, off, len);
    }

    static void writeError(DataOutputStream out, CloneException.Reason reason, String message) throws IOException {
        byte[] text = message.getBytes(StandardCharsets.UTF_8);
        int len = Math.min(text.length, MAX_CONTROL - 1);
        byte[] payload = new byte[len + 1];
        payload[0] = (byte) reason.ordinal();
        System.arraycopy(text, 0, payload, 1, len);
        writeFrame(out, ERROR, payload, 0, payload.length);
        out.flush();
    }

    static CloneException readError(byte[] payload, String donor) {
        CloneException.Reason[] reasons = CloneException.Reason.values();
        CloneException.Reason reason = payload.length > 0 && payload[0] >= 0 && payload[0] < reasons.length
                ? reasons[payload[0]] : CloneException.Reason.PROTOCOL;
        String message = payload.length > 1 ? new String(payload, 1, payload.length - 1, StandardCharsets.UTF_8) : "(no message)";
        return new CloneException(reason, "donor " + donor + " reports: " + message);
    }

    /** Fills in a DATA frame's header in front of its payload, so the whole frame goes out in one write. */
    static void putDataHeader(byte[] frame, int payloadLength) {
        frame[0] = DATA;
        frame[1] = (byte) (payloadLength >>> 24);
        frame[2] = (byte) (payloadLength >>> 16);
        frame[3] = (byte) (payloadLength >>> 8);
        frame[4] = (byte) payloadLength;
    }
}
