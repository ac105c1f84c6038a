package dev.autopilot.cli;

import dev.autopilot.supervisor.config.Durations;
import java.time.Duration;
import picocli.CommandLine;

/** Durations on the command line in the agent configuration's grammar ({@link Durations}): {@code 500ms}, {@code 10s}, {@code 2m}. */
final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        try {
            return Durations.read(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
