package dev.autopilot.cli;

import dev.autopilot.cli.command.AgentCommand;
import dev.autopilot.cli.command.BackupCommand;
import dev.autopilot.cli.command.BackupsCommand;
import dev.autopilot.cli.command.CtlCommand;
import dev.autopilot.cli.command.FailoverCommand;
import dev.autopilot.cli.command.PauseCommand;
import dev.autopilot.cli.command.RestoreCommand;
import dev.autopilot.cli.command.ResumeCommand;
import dev.autopilot.cli.command.StatusCommand;
import dev.autopilot.cli.command.SuperviseCommand;
import dev.autopilot.cli.command.SwitchoverCommand;
import dev.autopilot.cli.local.LocalCommand;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code bin/autopilot}: one picocli command per subcommand class. Exit codes are named in
 * {@link ExitCodes}; a subcommand fails by throwing {@link CommandFailure}, printed here as one line.
 */
@Command(name = "autopilot",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Self-assembling, self-healing MySQL/MariaDB clusters.",
        subcommands = {AgentCommand.class, StatusCommand.class, SwitchoverCommand.class, FailoverCommand.class,
                PauseCommand.class, ResumeCommand.class, BackupCommand.class, BackupsCommand.class, RestoreCommand.class,
                LocalCommand.class, SuperviseCommand.class, CtlCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    private final Map<String, String> env;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public Main(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    /** The environment the commands read ({@code AUTOPILOT_*}); the process's, or a test's. */
    public Map<String, String> env() {
        return env;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Builds the command line over this process's environment. */
    public static CommandLine commandLine() {
        return commandLine(System.getenv());
    }

    /** Builds the command line over {@code env}; tests run commands in-process through this. */
    public static CommandLine commandLine(Map<String, String> env) {
        CommandLine cli = new CommandLine(new Main(env));
        cli.registerConverter(java.time.Duration.class, new DurationConverter());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            String name = cmd.getCommandSpec().qualifiedName(" ");
            if (e instanceof CommandFailure f) {
                err.println(name + ": " + f.getMessage());
                err.flush();
                return f.exitCode();
            }
            err.println(name + ": unexpected error: " + e);
            err.flush();
            return ExitCodes.FAILED;
        });
        return cli;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
