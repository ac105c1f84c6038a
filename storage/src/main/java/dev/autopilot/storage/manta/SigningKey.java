package dev.autopilot.storage.manta;

import dev.autopilot.storage.StoreSettings;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.ECFieldFp;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The account's SSH private key, ready to sign requests, with the fingerprints Manta knows it by.
 *
 * <p>Read from PEM: PKCS#8 ({@code BEGIN PRIVATE KEY}), PKCS#1 ({@code BEGIN RSA PRIVATE KEY}) or SEC1
 * ({@code BEGIN EC PRIVATE KEY}), unencrypted; RSA, or ECDSA on P-256, P-384 or P-521. The OpenSSH format that
 * {@code ssh-keygen} writes by default ({@code BEGIN OPENSSH PRIVATE KEY}) is refused with the command that rewrites
 * the key as PEM ({@code ssh-keygen -p -m PEM}), since the JDK cannot read it. The key's text never appears in
 * messages or {@code toString}.
 */
public final class SigningKey {

    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);
    private static final Pattern MD5_ID = Pattern.compile("(?i)(?:md5:)?((?:[0-9a-f]{2}:){15}[0-9a-f]{2})");
    private static final Pattern SHA256_ID = Pattern.compile("(?i:sha256):([A-Za-z0-9+/]{43})=?");

    private final PrivateKey key;
    private final String algorithm;
    private final String jcaAlgorithm;
    private final String md5;
    private final String sha256;

    private SigningKey(PrivateKey key, String algorithm, String jcaAlgorithm, byte[] publicBlob) {
        this.key = key;
        this.algorithm = algorithm;
        this.jcaAlgorithm = jcaAlgorithm;
        this.md5 = md5Fingerprint(publicBlob);
        this.sha256 = sha256Fingerprint(publicBlob);
    }

    /**
     * Reads the key {@code source} names.
     *
     * @throws IllegalArgumentException it cannot be read or is not a supported key, saying why and what would fix it
     */
    public static SigningKey load(StoreSettings.MantaKey source) {
        return switch (source) {
            case StoreSettings.MantaKey.KeyFile(var path) -> {
                String text;
                try {
                    text = Files.readString(path, StandardCharsets.US_ASCII);
                } catch (NoSuchFileException e) {
                    throw new IllegalArgumentException("'" + path + "' does not exist");
                } catch (AccessDeniedException e) {
                    throw new IllegalArgumentException("'" + path + "' is not readable by this user");
                } catch (IOException e) {
                    throw new IllegalArgumentException("'" + path + "' cannot be read: " + e.getMessage());
                }
                yield parse(text, "'" + path + "'");
            }
            // The original image took the key in an environment variable with its line breaks written as '#'.
            case StoreSettings.MantaKey.KeyText(var pem, var variable) -> parse(pem.value().replace('#', '\n'), variable);
        };
    }

    /** Parses one PEM private key; {@code source} names it in errors. */
    static SigningKey parse(String text, String source) {
        Matcher m = PEM.matcher(text);
        if (!m.find()) {
            throw new IllegalArgumentException(source + " holds no PEM private key (-----BEGIN ... PRIVATE KEY-----)");
        }
        String type = m.group(1);
        String body = m.group(2);
        if (type.equals("OPENSSH PRIVATE KEY")) {
            throw new IllegalArgumentException(source + " is in OpenSSH format, which is not supported; rewrite a copy"
                    + " as PEM with ssh-keygen -p -N '' -m PEM -f <copy> (RSA and ECDSA keys; the key and its fingerprint"
                    + " stay the same)");
        }
        if (type.equals("ENCRYPTED PRIVATE KEY") || body.contains("ENCRYPTED")) {
            throw new IllegalArgumentException(source + " is encrypted with a passphrase; give an unencrypted copy"
                    + " (ssh-keygen -p -N '' -m PEM -f <copy>) kept readable by the agent alone");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(body.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + " is not valid PEM: " + e.getMessage());
        }
        try {
            return switch (type) {
                case "PRIVATE KEY" -> fromPkcs8(der, source);
                case "RSA PRIVATE KEY" -> rsa(Der.pkcs8(Der.RSA_OID, Der.encode(Der.NULL, new byte[0]), der));
                case "EC PRIVATE KEY" -> ec(Der.pkcs8(Der.EC_OID, Der.encode(Der.OID, curveOf(der)), der));
                default -> throw new IllegalArgumentException(source + " holds a '" + type + "', not a private key;"
                        + " give an RSA or ECDSA private key in PEM (PKCS#8, PKCS#1 or SEC1)");
            };
        } catch (GeneralSecurityException | RuntimeException e) {
            if (e instanceof IllegalArgumentException iae && iae.getMessage() != null
                    && iae.getMessage().startsWith(source)) {
                throw iae;
            }
            throw new IllegalArgumentException(source + " is not a readable " + type + ": " + e.getMessage());
        }
    }

    /**
     * Every problem with {@code keyId} and {@code key} together, prefixed by {@code prefix} ({@code storage.manta.}):
     * an id that is not a fingerprint, a key that cannot be read, or a key whose fingerprint is not the id.
     */
    public static List<String> problems(String prefix, String keyId, StoreSettings.MantaKey key) {
        List<String> out = new ArrayList<>();
        boolean idValid = keyId != null && (MD5_ID.matcher(keyId).matches() || SHA256_ID.matcher(keyId).matches());
        if (keyId == null || keyId.isBlank()) {
            out.add(prefix + "keyId: missing; the key's fingerprint as registered with the account, e.g. the MD5 one"
                    + " ssh-keygen -l -E md5 -f <key> prints (MANTA_KEY_ID)");
        } else if (!idValid) {
            out.add(prefix + "keyId: '" + keyId + "' is not a key fingerprint: use the MD5 one (aa:bb:...:ff, 16 pairs)"
                    + " or SHA256:<base64> (ssh-keygen -l -f <key>)");
        }
        if (key == null) {
            return out;
        }
        SigningKey signing;
        try {
            signing = load(key);
        } catch (IllegalArgumentException e) {
            out.add(prefix + keySetting(key) + ": " + e.getMessage());
            return out;
        }
        if (idValid && !signing.matches(keyId)) {
            out.add(prefix + "keyId: '" + keyId + "' is not the fingerprint of the private key in "
                    + describe(key) + " (" + signing.md5() + ", " + signing.sha256() + "); give the matching key or id");
        }
        return out;
    }

    private static String keySetting(StoreSettings.MantaKey key) {
        return key instanceof StoreSettings.MantaKey.KeyText(var pem, var variable) ? "key (" + variable + ")" : "keyFile";
    }

    private static String describe(StoreSettings.MantaKey key) {
        return switch (key) {
            case StoreSettings.MantaKey.KeyFile(var path) -> "'" + path + "'";
            case StoreSettings.MantaKey.KeyText(var pem, var variable) -> variable;
        };
    }

    /** Whether {@code keyId} (MD5 or SHA256 form) is this key's fingerprint. */
    public boolean matches(String keyId) {
        Matcher md = MD5_ID.matcher(keyId.strip());
        if (md.matches()) {
            return md.group(1).toLowerCase(Locale.ROOT).equals(md5);
        }
        Matcher sha = SHA256_ID.matcher(keyId.strip());
        return sha.matches() && ("SHA256:" + sha.group(1)).equals(sha256);
    }

    /** The HTTP Signature algorithm: {@code rsa-sha256}, {@code ecdsa-sha256}, {@code ecdsa-sha384}, {@code ecdsa-sha512}. */
    public String algorithm() {
        return algorithm;
    }

    /** The MD5 fingerprint, {@code aa:bb:...}. */
    public String md5() {
        return md5;
    }

    /** The SHA-256 fingerprint, {@code SHA256:<base64 without padding>}. */
    public String sha256() {
        return sha256;
    }

    /** Base64 of the signature of {@code text} (ECDSA: ASN.1 DER, as the HTTP Signature scheme and sshpk use). */
    public String sign(String text) {
        try {
            Signature s = Signature.getInstance(jcaAlgorithm);
            s.initSign(key);
            s.update(text.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(s.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign with the " + algorithm + " key " + md5, e);
        }
    }

    @Override
    public String toString() {
        return "SigningKey[" + algorithm + " " + md5 + "]";
    }

    private static SigningKey fromPkcs8(byte[] der, String source) throws GeneralSecurityException {
        List<Der.Element> fields = Der.sequence(der);
        byte[] oid = Der.elements(fields.get(1).content()).getFirst().content();
        if (Arrays.equals(oid, Der.RSA_OID)) {
            return rsa(der);
        }
        if (Arrays.equals(oid, Der.EC_OID)) {
            return ec(der);
        }
        throw new IllegalArgumentException(source + " is neither an RSA nor an ECDSA key (Manta signs with those)");
    }

    /** The named curve of a SEC1 key, from its {@code [0]} parameters. */
    private static byte[] curveOf(byte[] sec1) {
        for (Der.Element e : Der.sequence(sec1)) {
            if (e.tag() == Der.CONTEXT_0) {
                Der.Element oid = Der.elements(e.content()).getFirst();
                if (oid.tag() == Der.OID) {
                    return oid.content();
                }
            }
        }
        throw new IllegalArgumentException("the EC key does not name its curve");
    }

    private static SigningKey rsa(byte[] pkcs8) throws GeneralSecurityException {
        RSAPrivateCrtKey k = (RSAPrivateCrtKey) KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        byte[] blob = blob(string("ssh-rsa"), mpint(k.getPublicExponent()), mpint(k.getModulus()));
        return new SigningKey(k, "rsa-sha256", "SHA256withRSA", blob);
    }

    private static SigningKey ec(byte[] pkcs8) throws GeneralSecurityException {
        ECPrivateKey k = (ECPrivateKey) KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        ECParameterSpec spec = k.getParams();
        int bits = spec.getCurve().getField().getFieldSize();
        String curve;
        String hash;
        switch (bits) {
            case 256 -> { curve = "nistp256"; hash = "256"; }
            case 384 -> { curve = "nistp384"; hash = "384"; }
            case 521 -> { curve = "nistp521"; hash = "512"; }
            default -> throw new IllegalArgumentException("an EC key on a " + bits + "-bit curve; Manta takes P-256, P-384 or P-521");
        }
        ECPoint q = multiply(spec.getGenerator(), k.getS(), spec);
        int size = (bits + 7) / 8;
        byte[] point = Der.concat(new byte[] {4}, fixed(q.getAffineX(), size), fixed(q.getAffineY(), size));
        byte[] blob = blob(string("ecdsa-sha2-" + curve), string(curve), bytes(point));
        return new SigningKey(k, "ecdsa-sha" + hash, "SHA" + hash + "withECDSA", blob);
    }

    /** {@code k·g} on the key's prime curve (the JDK derives no public key from a private one). */
    private static ECPoint multiply(ECPoint g, BigInteger k, ECParameterSpec spec) {
        BigInteger p = ((ECFieldFp) spec.getCurve().getField()).getP();
        BigInteger a = spec.getCurve().getA();
        ECPoint result = ECPoint.POINT_INFINITY;
        ECPoint addend = g;
        for (int i = 0; i < k.bitLength(); i++) {
            if (k.testBit(i)) {
                result = add(result, addend, p, a);
            }
            addend = add(addend, addend, p, a);
        }
        return result;
    }

    private static ECPoint add(ECPoint s, ECPoint t, BigInteger p, BigInteger a) {
        if (s.equals(ECPoint.POINT_INFINITY)) {
            return t;
        }
        if (t.equals(ECPoint.POINT_INFINITY)) {
            return s;
        }
        BigInteger x1 = s.getAffineX();
        BigInteger y1 = s.getAffineY();
        BigInteger x2 = t.getAffineX();
        BigInteger y2 = t.getAffineY();
        BigInteger slope;
        if (x1.equals(x2)) {
            if (!y1.equals(y2) || y1.signum() == 0) {
                return ECPoint.POINT_INFINITY;
            }
            slope = x1.pow(2).multiply(BigInteger.valueOf(3)).add(a).multiply(y1.shiftLeft(1).modInverse(p)).mod(p);
        } else {
            slope = y2.subtract(y1).multiply(x2.subtract(x1).modInverse(p)).mod(p);
        }
        BigInteger x3 = slope.pow(2).subtract(x1).subtract(x2).mod(p);
        BigInteger y3 = slope.multiply(x1.subtract(x3)).subtract(y1).mod(p);
        return new ECPoint(x3, y3);
    }

    private static byte[] fixed(BigInteger n, int size) {
        byte[] raw = n.toByteArray();
        byte[] out = new byte[size];
        int copy = Math.min(raw.length, size);
        System.arraycopy(raw, raw.length - copy, out, size - copy, copy);
        return out;
    }

    private static byte[] string(String s) {
        return bytes(s.getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] mpint(BigInteger n) {
        return bytes(n.toByteArray());
    }

    /** An SSH wire-format string: a 4-byte length, then the bytes. */
    private static byte[] bytes(byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(b.length + 4);
        out.write(b.length >>> 24);
        out.write(b.length >>> 16);
        out.write(b.length >>> 8);
        out.write(b.length);
        out.writeBytes(b);
        return out.toByteArray();
    }

    private static byte[] blob(byte[]... parts) {
        return Der.concat(parts);
    }

    private static String md5Fingerprint(byte[] blob) {
        try {
            byte[] d = MessageDigest.getInstance("MD5").digest(blob);
            return HexFormat.ofDelimiter(":").formatHex(d);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JDK has MD5", e);
        }
    }

    private static String sha256Fingerprint(byte[] blob) {
        byte[] d = dev.autopilot.storage.Sha256.newDigest().digest(blob);
        return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(d);
    }
}
