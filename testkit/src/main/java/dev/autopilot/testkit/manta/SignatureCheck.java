package dev.autopilot.testkit.manta;

import com.sun.net.httpserver.Headers;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The double's side of Manta's authentication: the {@code Authorization: Signature ...} header is parsed, its key
 * looked up by {@code keyId} ({@code /<account>[/<subuser>]/keys/<md5 or SHA256 fingerprint>}) among the registered
 * public keys, and the signature over the signed headers (at least {@code date}) verified with it. The date must be
 * within five minutes of the double's clock.
 */
final class SignatureCheck {

    private static final Pattern PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");
    private static final Pattern KEY_ID = Pattern.compile("/([^/]+)(?:/([^/]+))?/keys/(.+)");
    private static final Duration SKEW = Duration.ofMinutes(5);

    /** Who signed a request. */
    record Caller(String account, String subuser) {
    }

    /** Why a request is refused, with Manta's error code. */
    static final class Refused extends Exception {
        private final String code;

        Refused(String code, String message) {
            super(message);
            this.code = code;
        }

        String code() {
            return code;
        }
    }

    private record Registered(String account, String subuser, PublicKey key) {
    }

    /** {@code /<account>[/<subuser>]/keys/<fingerprint>} (both fingerprint forms) to the key. */
    private final Map<String, Registered> keys = new ConcurrentHashMap<>();

    void register(String account, String subuser, PublicKey key) {
        byte[] blob = blob(key);
        String owner = "/" + account + (subuser == null ? "" : "/" + subuser) + "/keys/";
        Registered r = new Registered(account, subuser, key);
        keys.put(owner + md5(blob), r);
        keys.put(owner + "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(digest("SHA-256", blob)), r);
    }

    Caller verify(Headers headers, Instant now) throws Refused {
        String authorization = headers.getFirst("Authorization");
        if (authorization == null || !authorization.startsWith("Signature ")) {
            throw new Refused("AuthSchemeError", "Authorization: Signature ... is required");
        }
        Map<String, String> params = new HashMap<>();
        Matcher m = PARAM.matcher(authorization.substring("Signature ".length()));
        while (m.find()) {
            params.put(m.group(1), m.group(2));
        }
        String keyId = params.get("keyId");
        String algorithm = params.get("algorithm");
        String signature = params.get("signature");
        if (keyId == null || algorithm == null || signature == null) {
            throw new Refused("InvalidCredentialsError", "keyId, algorithm and signature are required");
        }
        Matcher id = KEY_ID.matcher(keyId);
        if (!id.matches()) {
            throw new Refused("InvalidKeyIdError", "keyId " + keyId + " is not /<login>/keys/<fingerprint>");
        }
        String fingerprint = id.group(3).toLowerCase().startsWith("sha256:") ? "SHA256:" + id.group(3).substring(7)
                : id.group(3).toLowerCase().replaceFirst("^md5:", "");
        Registered key = keys.get("/" + id.group(1) + (id.group(2) == null ? "" : "/" + id.group(2)) + "/keys/" + fingerprint);
        if (key == null) {
            throw new Refused("KeyDoesNotExistError", "no key " + keyId + " is registered");
        }
        List<String> signed = List.of(params.getOrDefault("headers", "date").toLowerCase().split(" "));
        if (!signed.contains("date")) {
            throw new Refused("InvalidSignatureError", "the date header must be signed");
        }
        StringBuilder text = new StringBuilder();
        for (String name : signed) {
            String value = headers.getFirst(name);
            if (value == null) {
                throw new Refused("InvalidSignatureError", "signed header " + name + " is missing");
            }
            text.append(text.isEmpty() ? "" : "\n").append(name).append(": ").append(value);
        }
        try {
            Instant date = ZonedDateTime.parse(headers.getFirst("date"), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            if (Duration.between(date, now).abs().compareTo(SKEW) > 0) {
                throw new Refused("InvalidSignatureError", "date " + headers.getFirst("date") + " is too far from now");
            }
        } catch (DateTimeParseException e) {
            throw new Refused("InvalidSignatureError", "date " + headers.getFirst("date") + " is not an HTTP date");
        }
        String jca = switch (algorithm.toLowerCase()) {
            case "rsa-sha256" -> key.key() instanceof RSAPublicKey ? "SHA256withRSA" : null;
            case "ecdsa-sha256" -> key.key() instanceof ECPublicKey ? "SHA256withECDSA" : null;
            case "ecdsa-sha384" -> key.key() instanceof ECPublicKey ? "SHA384withECDSA" : null;
            case "ecdsa-sha512" -> key.key() instanceof ECPublicKey ? "SHA512withECDSA" : null;
            default -> null;
        };
        if (jca == null) {
            throw new Refused("InvalidSignatureError", "algorithm " + algorithm + " does not fit key " + keyId);
        }
        try {
            Signature verifier = Signature.getInstance(jca);
            verifier.initVerify(key.key());
            verifier.update(text.toString().getBytes(StandardCharsets.UTF_8));
            if (!verifier.verify(Base64.getDecoder().decode(signature))) {
                throw new Refused("InvalidSignatureError", "the signature does not match key " + keyId);
            }
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new Refused("InvalidSignatureError", "the signature cannot be checked: " + e.getMessage());
        }
        return new Caller(key.account(), key.subuser());
    }

    /** The key in SSH wire format, which fingerprints are taken of. */
    private static byte[] blob(PublicKey key) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        switch (key) {
            case RSAPublicKey rsa -> {
                write(out, "ssh-rsa".getBytes(StandardCharsets.US_ASCII));
                write(out, rsa.getPublicExponent().toByteArray());
                write(out, rsa.getModulus().toByteArray());
            }
            case ECPublicKey ec -> {
                int bits = ec.getParams().getCurve().getField().getFieldSize();
                String curve = "nistp" + bits;
                int size = (bits + 7) / 8;
                ByteArrayOutputStream point = new ByteArrayOutputStream();
                point.write(4);
                point.writeBytes(unsigned(ec.getW().getAffineX(), size));
                point.writeBytes(unsigned(ec.getW().getAffineY(), size));
                write(out, ("ecdsa-sha2-" + curve).getBytes(StandardCharsets.US_ASCII));
                write(out, curve.getBytes(StandardCharsets.US_ASCII));
                write(out, point.toByteArray());
            }
            default -> throw new IllegalArgumentException("Manta keys are RSA or ECDSA, not " + key.getAlgorithm());
        }
        return out.toByteArray();
    }

    private static byte[] unsigned(BigInteger n, int size) {
        byte[] raw = n.toByteArray();
        byte[] out = new byte[size];
        int copy = Math.min(raw.length, size);
        System.arraycopy(raw, raw.length - copy, out, size - copy, copy);
        return out;
    }

    private static void write(ByteArrayOutputStream out, byte[] field) {
        out.write(field.length >>> 24);
        out.write(field.length >>> 16);
        out.write(field.length >>> 8);
        out.write(field.length);
        out.writeBytes(field);
    }

    private static String md5(byte[] blob) {
        return HexFormat.ofDelimiter(":").formatHex(digest("MD5", blob));
    }

    private static byte[] digest(String algorithm, byte[] data) {
        try {
            return MessageDigest.getInstance(algorithm).digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
