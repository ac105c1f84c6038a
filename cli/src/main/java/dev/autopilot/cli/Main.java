package dev.autopilot.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code bin/autopilot}: one picocli command per subcommand class.
 * Exit codes are named in {@link ExitCodes}.
 */
@Command(name = "autopilot",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Self-assembling, self-healing MySQL/MariaDB clusters.",
        subcommands = {CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Builds the command line; tests run commands in-process through this. */
    public static CommandLine commandLine() {
        return new CommandLine(new Main());
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
