package dev.autopilot.mysql.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Objects;

/**
 * A password or token. {@link #toString()} never shows the value, so a Secret can sit in records,
 * log lines and exceptions safely; only {@link #reveal()} returns it, for the JDBC driver or a 0600 file.
 */
public final class Secret {

    private static final String ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

    private final String value;

    private Secret(String value) {
        this.value = Objects.requireNonNull(value, "secret value");
    }

    public static Secret of(String value) {
        return new Secret(value);
    }

    /** A random secret of {@code length} letters and digits (no quotes or backslashes, safe in any config file). */
    public static Secret random(int length) {
        SecureRandom rnd = new SecureRandom();
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(ALPHABET.charAt(rnd.nextInt(ALPHABET.length())));
        }
        return new Secret(sb.toString());
    }

    /**
     * Reads a secret file. This is the project's one rule for secret files (database passwords, tokens, the
     * coordination store's password), so a file means the same to every module: the whole content is the secret,
     * except one trailing line break ({@code \n} or {@code \r\n}, as editors and {@code echo} write it). Spaces
     * are part of the secret. What cannot be meant as a secret is an error naming the file.
     *
     * @throws IllegalArgumentException the path is missing, a directory or unreadable, or the file is empty or holds more
     *                                  than one line
     */
    public static Secret fromFile(Path file) {
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException(file + " is a directory, not a file holding the secret");
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read secret file " + file + " (" + e.getClass().getSimpleName() + ": "
                    + e.getMessage() + ")", e);
        }
        if (text.endsWith("\n")) {
            text = text.substring(0, text.length() - (text.endsWith("\r\n") ? 2 : 1));
        }
        if (text.isEmpty()) {
            throw new IllegalArgumentException(file + " is empty");
        }
        if (text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0) {
            throw new IllegalArgumentException(file + " holds more than one line; a secret file holds the secret alone "
                    + "(one trailing line break is allowed)");
        }
        return new Secret(text);
    }

    /**
     * Container-style lookup: {@code NAME} holds the value, or {@code NAME_FILE} names a file holding it
     * (Docker/Kubernetes secrets). Both set is an error; neither set is an error naming both variables.
     */
    public static Secret fromEnvironment(Map<String, String> env, String name) {
        String direct = env.get(name);
        String file = env.get(name + "_FILE");
        if (direct != null && file != null) {
            throw new IllegalArgumentException(name + " and " + name + "_FILE are both set: set only one");
        }
        if (file != null) {
            return fromFile(Path.of(file));
        }
        if (direct != null) {
            return new Secret(direct);
        }
        throw new IllegalArgumentException(name + ": missing (set " + name + " or " + name + "_FILE to a file holding it)");
    }

    /** The clear value. Call only where it goes straight to the driver or a private file. */
    public String reveal() {
        return value;
    }

    public boolean isEmpty() {
        return value.isEmpty();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Secret s && MessageDigest.isEqual(
                s.value.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    @Override
    public String toString() {
        return "******";
    }
}
