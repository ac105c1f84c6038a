package dev.autopilot.cli.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Where the cluster token may come from, in the order {@link ClusterOptions} lists them. */
public sealed interface TokenSource {

    /** The token, when this source has one. */
    Optional<String> read();

    /** Where it looked, for an error message. */
    String describe();

    /** A value given directly (environment). */
    record Value(String token, String origin) implements TokenSource {
        public Optional<String> read() {
            return Optional.of(token);
        }

        public String describe() {
            return origin;
        }
    }

    /** A file holding the token. */
    record File(Path path, String origin) implements TokenSource {
        public Optional<String> read() {
            try {
                String t = Files.readString(path).strip();
                return t.isEmpty() ? Optional.empty() : Optional.of(t);
            } catch (IOException e) {
                return Optional.empty();
            }
        }

        public String describe() {
            return path + " (" + origin + ")";
        }
    }
}
