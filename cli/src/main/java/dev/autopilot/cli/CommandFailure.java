package dev.autopilot.cli;

/**
 * The one exception a subcommand throws to fail: {@link Main} prints its message as one line
 * ({@code autopilot <command>: <what failed; what to do>}) and exits with {@link #exitCode()}.
 */
public final class CommandFailure extends RuntimeException {
    private final int exitCode;

    public CommandFailure(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public CommandFailure(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    /** One of {@link ExitCodes}. */
    public int exitCode() {
        return exitCode;
    }

    public static CommandFailure usage(String message) {
        return new CommandFailure(ExitCodes.USAGE, message);
    }

    public static CommandFailure failed(String message) {
        return new CommandFailure(ExitCodes.FAILED, message);
    }

    public static CommandFailure unreachable(String message) {
        return new CommandFailure(ExitCodes.UNREACHABLE, message);
    }

    public static CommandFailure refused(String message) {
        return new CommandFailure(ExitCodes.REFUSED, message);
    }
}
