package dev.autopilot.storage;

import java.util.Objects;

/**
 * A secret value that never shows in {@code toString}, hence never in logs or exception messages. Secret files are
 * read by one rule for the whole project, {@code dev.autopilot.mysql.auth.Secret#fromFile}, by the agent's configuration.
 */
public record Secret(String value) {

    public Secret {
        Objects.requireNonNull(value, "value");
    }

    @Override
    public String toString() {
        return "Secret[*****]";
    }
}
