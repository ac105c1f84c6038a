package dev.autopilot.storage.manta;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The little DER the key reader needs: split a structure into its elements, and wrap a PKCS#1 or SEC1 key into the
 * PKCS#8 structure the JDK's {@code KeyFactory} reads.
 */
final class Der {

    static final int INTEGER = 0x02;
    static final int BIT_STRING = 0x03;
    static final int OCTET_STRING = 0x04;
    static final int NULL = 0x05;
    static final int OID = 0x06;
    static final int SEQUENCE = 0x30;
    /** {@code [0]} and {@code [1]}, constructed: SEC1's curve parameters and public key. */
    static final int CONTEXT_0 = 0xa0;
    static final int CONTEXT_1 = 0xa1;

    /** rsaEncryption, 1.2.840.113549.1.1.1. */
    static final byte[] RSA_OID = {0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01};
    /** id-ecPublicKey, 1.2.840.10045.2.1. */
    static final byte[] EC_OID = {0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};

    /** One element: its tag and its content. */
    record Element(int tag, byte[] content) {
    }

    private Der() {
    }

    /** The elements of {@code der}, one after the other (call it on a SEQUENCE's content to get its fields). */
    static List<Element> elements(byte[] der) {
        List<Element> out = new ArrayList<>();
        int at = 0;
        while (at < der.length) {
            int tag = der[at++] & 0xff;
            if (at >= der.length) {
                throw new IllegalArgumentException("truncated DER");
            }
            int length = der[at++] & 0xff;
            if (length >= 0x80) {
                int bytes = length & 0x7f;
                if (bytes == 0 || bytes > 4 || at + bytes > der.length) {
                    throw new IllegalArgumentException("unsupported DER length");
                }
                length = 0;
                for (int i = 0; i < bytes; i++) {
                    length = (length << 8) | (der[at++] & 0xff);
                }
            }
            if (length < 0 || at + length > der.length) {
                throw new IllegalArgumentException("truncated DER");
            }
            out.add(new Element(tag, Arrays.copyOfRange(der, at, at + length)));
            at += length;
        }
        return out;
    }

    /** The content of the single SEQUENCE {@code der} holds. */
    static List<Element> sequence(byte[] der) {
        List<Element> top = elements(der);
        if (top.size() != 1 || top.getFirst().tag() != SEQUENCE) {
            throw new IllegalArgumentException("not a DER SEQUENCE");
        }
        return elements(top.getFirst().content());
    }

    /** PKCS#8 PrivateKeyInfo around a key of {@code algorithm} (with its parameters) encoded as {@code key}. */
    static byte[] pkcs8(byte[] algorithmOid, byte[] parameters, byte[] key) {
        byte[] algorithm = encode(SEQUENCE, concat(encode(OID, algorithmOid), parameters));
        return encode(SEQUENCE, concat(encode(INTEGER, new byte[] {0}), algorithm, encode(OCTET_STRING, key)));
    }

    static byte[] encode(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
        out.write(tag);
        int n = content.length;
        if (n < 0x80) {
            out.write(n);
        } else if (n < 0x100) {
            out.write(0x81);
            out.write(n);
        } else if (n < 0x10000) {
            out.write(0x82);
            out.write(n >> 8);
            out.write(n);
        } else {
            out.write(0x83);
            out.write(n >> 16);
            out.write(n >> 8);
            out.write(n);
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
