package dev.autopilot.coordination;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A password or token. {@link #toString()} is masked, so a secret never reaches a log line; read it from a file
 * or an environment variable, never from a command line (it would show in {@code ps}). Secret files are read by one
 * rule for the whole project ({@code dev.autopilot.mysql.auth.Secret#fromFile}) in the agent's configuration.
 */
public final class Secret {

    private final char[] value;

    private Secret(char[] value) {
        this.value = value.clone();
    }

    /** Wraps a copy of {@code value}; the caller may wipe its array afterwards. */
    public static Secret of(char[] value) {
        return new Secret(value);
    }

    /** A copy of the secret; wipe it after use. */
    public char[] reveal() {
        return value.clone();
    }

    /** UTF-8 bytes of the secret (for wire protocols). */
    public byte[] utf8() {
        return new String(value).getBytes(StandardCharsets.UTF_8);
    }

    /** Whether the secret is empty. */
    public boolean isEmpty() {
        return value.length == 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Secret s && Arrays.equals(value, s.value);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return "****";
    }
}
