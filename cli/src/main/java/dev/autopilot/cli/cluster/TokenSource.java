package dev.autopilot.cli.cluster;

import dev.autopilot.cli.CommandFailure;
import dev.autopilot.mysql.auth.Secret;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the operator token may come from, in the order {@link ClusterOptions} lists them. Files are read by the
 * project's one secret-file rule ({@link Secret#fromFile}); a file that exists but breaks it is an error, not skipped.
 */
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
            if (!Files.exists(path)) {
                return Optional.empty();
            }
            try {
                return Optional.of(Secret.fromFile(path).reveal());
            } catch (IllegalArgumentException e) {
                throw CommandFailure.usage("token file from " + origin + ": " + e.getMessage());
            }
        }

        public String describe() {
            return path + " (" + origin + ")";
        }
    }
}
