package dev.autopilot.backup.clone;

import dev.autopilot.mysql.auth.Secret;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The shared secret joiners prove to donors (and donors to joiners) before a clone streams. Never sent
 * over the wire: both sides answer an HMAC-SHA256 challenge keyed with it. Prints masked.
 */
public final class CloneToken {

    private static final int MIN_LENGTH = 16;
    private final Secret secret;

    private CloneToken(Secret secret) {
        this.secret = secret;
    }

    /** Wraps a secret of at least 16 characters (a short token would be guessable offline from a handshake). */
    public static CloneToken of(Secret secret) {
        Objects.requireNonNull(secret, "secret");
        if (secret.reveal().length() < MIN_LENGTH) {
            throw new IllegalArgumentException("clone token is " + secret.reveal().length()
                    + " characters long; use at least " + MIN_LENGTH + " (e.g. Secret.random(32))");
        }
        return new CloneToken(secret);
    }

    byte[] keyBytes() {
        return secret.reveal().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "CloneToken[******]";
    }
}
