package dev.autopilot.supervisor.config;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The project's one duration grammar, used by every configuration file, environment variable, command-line option and
 * query parameter: a whole number with a unit, {@code 500ms}, {@code 2s}, {@code 5m}, {@code 1h}, {@code 7d}, or a sum
 * such as {@code 1m30s}. At most {@link #MAX} (ten years): longer values are typing errors, and anything near
 * {@link Long#MAX_VALUE} nanoseconds would overflow where the duration is added to a clock.
 */
public final class Durations {
    /** The longest duration accepted. */
    public static final Duration MAX = Duration.ofDays(3650);
    /** What the grammar looks like, for error messages. */
    public static final String EXAMPLES = "500ms, 3s, 5m, 1h, 7d or 1m30s";

    private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");
    private static final Pattern WHOLE = Pattern.compile("(\\d+(ms|s|m|h|d))+");

    private Durations() {}

    /** The duration {@code text} writes, or empty when it is not one (including too long: see {@link #read}). */
    public static Optional<Duration> parse(String text) {
        try {
            return Optional.of(read(text));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * The duration {@code text} writes.
     *
     * @throws IllegalArgumentException saying what is wrong ({@code 'x' is not a duration (use e.g. ...)} or {@code 'x'
     *                                  is longer than 3650d}), without a setting name: the caller adds it
     */
    public static Duration read(String text) {
        String t = text.strip();
        if (!WHOLE.matcher(t).matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (use e.g. " + EXAMPLES + ")");
        }
        Duration sum = Duration.ZERO;
        Matcher m = PART.matcher(t);
        while (m.find()) {
            String digits = m.group(1).replaceFirst("^0+(?=.)", "");
            // 15 digits of days already exceed MAX; anything longer cannot be parsed as a long at all
            if (digits.length() > 15) {
                throw tooLong(text);
            }
            long n = Long.parseLong(digits);
            try {
                sum = sum.plus(switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofSeconds(Math.multiplyExact(n, 60L));
                    case "h" -> Duration.ofSeconds(Math.multiplyExact(n, 3600L));
                    default -> Duration.ofSeconds(Math.multiplyExact(n, 86_400L));
                });
            } catch (ArithmeticException overflow) {
                throw tooLong(text);
            }
            if (sum.compareTo(MAX) > 0) {
                throw tooLong(text);
            }
        }
        return sum;
    }

    private static IllegalArgumentException tooLong(String text) {
        return new IllegalArgumentException("'" + text + "' is longer than " + write(MAX) + " (ten years)");
    }

    /** A duration as a configuration file writes it, in the largest whole unit: {@code 7d}, {@code 6h}, {@code 90s}, {@code 500ms}. */
    public static String write(Duration d) {
        long ms = d.toMillis();
        if (ms == 0) {
            return "0s";
        }
        if (ms % 86_400_000 == 0) {
            return ms / 86_400_000 + "d";
        }
        if (ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }

    /** Formats for logs and status output: {@code 1500ms} becomes {@code 1.5s}. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        return ms < 1000 ? ms + "ms" : ms % 1000 == 0 ? ms / 1000 + "s" : String.format("%.1fs", ms / 1000.0);
    }
}
