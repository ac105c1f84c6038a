package dev.autopilot.coordination;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Reads the line-oriented output ({@code WORD value...}) of a child process from its output file. */
public record ChildOutput(Path file) {

    /** The first line starting with {@code word + " "}, split on spaces. */
    public Optional<String[]> line(String word) {
        try {
            if (!Files.exists(file)) {
                return Optional.empty();
            }
            return Files.readAllLines(file).stream().filter(l -> l.startsWith(word + " ")).findFirst().map(l -> l.split(" "));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The value after {@code word} as a long. */
    public long nanos(String word) {
        return Long.parseLong(line(word).orElseThrow(() -> new AssertionError(word + " missing in " + file + ":\n" + text()))[1]);
    }

    /** The whole output, for failure messages. */
    public String text() {
        try {
            return Files.exists(file) ? Files.readString(file) : "(no output)";
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}
