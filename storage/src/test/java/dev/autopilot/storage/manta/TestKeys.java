package dev.autopilot.storage.manta;

import dev.autopilot.storage.StoreSettings;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;

/** Key pairs made in the test (KeyPairGenerator) and written as PKCS#8 PEM, as an operator's key file would be. */
final class TestKeys {

    private TestKeys() {
    }

    /** One RSA pair for the whole test run: making a 2048-bit key takes seconds on a loaded machine. */
    static KeyPair rsa() {
        return Rsa.PAIR;
    }

    private static final class Rsa {
        private static final KeyPair PAIR = generate();

        private static KeyPair generate() {
            try {
                KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                g.initialize(2048);
                return g.generateKeyPair();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** {@code secp256r1}, {@code secp384r1} or {@code secp521r1}. */
    static KeyPair ec(String curve) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec(curve));
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static String pem(KeyPair pair) {
        return "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(pair.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
    }

    /** Writes the private key to {@code file} (owner-only) and returns it as settings' key source. */
    static StoreSettings.MantaKey file(KeyPair pair, Path file) {
        try {
            Files.writeString(file, pem(pair));
            return new StoreSettings.MantaKey.KeyFile(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The MD5 key id Manta knows {@code pair} by. */
    static String keyId(KeyPair pair) {
        return SigningKey.parse(pem(pair), "test key").md5();
    }

    /** A fixture key in src/test/resources/manta (made once with ssh-keygen and openssl; test-only, never used anywhere). */
    static Path fixture(String name) {
        try {
            return Path.of(TestKeys.class.getResource("/manta/" + name).toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
