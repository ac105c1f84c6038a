package dev.autopilot.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/** A secret value that never shows in {@code toString}, hence never in logs or exception messages. */
public record Secret(String value) {

    public Secret {
        Objects.requireNonNull(value, "value");
    }

    /** The content of {@code file}, without a trailing newline. */
    public static Secret fromFile(Path file) {
        try {
            return new Secret(Files.readString(file, StandardCharsets.UTF_8).strip());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the secret file " + file + ": " + e.getMessage(), e);
        }
    }

    /** The value of environment variable {@code name}; throws naming the variable if it is unset. */
    public static Secret fromEnvironment(String name) {
        String v = System.getenv(name);
        if (v == null || v.isEmpty()) {
            throw new IllegalArgumentException("environment variable " + name + " is not set");
        }
        return new Secret(v);
    }

    @Override
    public String toString() {
        return "Secret[*****]";
    }
}
