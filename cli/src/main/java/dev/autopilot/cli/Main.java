package dev.autopilot.cli;

import dev.autopilot.cli.command.AgentCommand;
import dev.autopilot.cli.command.BackupCommand;
import dev.autopilot.cli.command.BackupsCommand;
import dev.autopilot.cli.command.CliCommand;
import dev.autopilot.cli.command.CtlCommand;
import dev.autopilot.cli.command.FailoverCommand;
import dev.autopilot.cli.command.HistoryCommand;
import dev.autopilot.cli.command.PauseCommand;
import dev.autopilot.cli.command.RestoreCommand;
import dev.autopilot.cli.command.ResumeCommand;
import dev.autopilot.cli.command.StatusCommand;
import dev.autopilot.cli.command.SuperviseCommand;
import dev.autopilot.cli.command.SwitchoverCommand;
import dev.autopilot.cli.local.LocalCommand;
import java.io.PrintWriter;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Entry point of {@code bin/autopilot}: one picocli command per subcommand class. Exit codes are named in
 * {@link ExitCodes}; a subcommand fails by throwing {@link CommandFailure}, printed here as one line. This root
 * command's model is built in code, as the quick commands' are (see {@link CliCommand}): it is on every command's path.
 */
public final class Main implements Runnable {
    /**
     * Every subcommand, in the order usage lists them. Registered in code rather than in {@code @Command(subcommands)}
     * so that a process running one command builds the model of that one only: picocli's reflection over all of
     * them was a third of a short command's start-up. Made by {@link #command(String)}, a switch rather than a map of
     * constructor references: each reference is a lambda class spun at start-up, before {@code main} runs.
     */
    private static final List<String> COMMANDS = List.of("agent", "status", "history", "switchover", "failover", "pause", "resume",
            "backup", "backups", "restore", "local", "supervise", "ctl", "help");

    /** Commands whose output is their answer: the libraries' INFO lines (a store connection opened) would only be noise. */
    private static final Set<String> QUIET = Set.of("status", "history", "switchover", "failover", "pause", "resume", "backups");

    /** What to register as {@code name}: a model built in code, or an annotated command for picocli to inspect. */
    private static Object command(String name) {
        if (name.equals("help")) {
            return new CommandLine.HelpCommand();
        }
        CliCommand command = switch (name) {
            case "agent" -> new AgentCommand();
            case "status" -> new StatusCommand();
            case "history" -> new HistoryCommand();
            case "switchover" -> new SwitchoverCommand();
            case "failover" -> new FailoverCommand();
            case "pause" -> new PauseCommand();
            case "resume" -> new ResumeCommand();
            case "backup" -> new BackupCommand();
            case "backups" -> new BackupsCommand();
            case "restore" -> new RestoreCommand();
            case "local" -> new LocalCommand();
            case "supervise" -> new SuperviseCommand();
            case "ctl" -> new CtlCommand();
            default -> throw new IllegalArgumentException("no command " + name);
        };
        return command.model();
    }

    private final Map<String, String> env;
    private final CommandSpec spec;

    public Main(Map<String, String> env) {
        this.env = Map.copyOf(env);
        spec = CommandSpec.wrapWithoutInspection(this).name("autopilot").versionProvider(new VersionProvider());
        spec.usageMessage().description("Self-assembling, self-healing MySQL/MariaDB clusters.");
        CliCommand.addStandardHelpOptions(spec);
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
        return commandLine(env, COMMANDS);
    }

    /** The command line with only {@code commands} registered (every one when {@code args} name no known command). */
    private static CommandLine commandLine(Map<String, String> env, Collection<String> commands) {
        CommandLine cli = new CommandLine(new Main(env).spec);
        for (String name : commands) {
            cli.addSubcommand(name, command(name));
        }
        // After the subcommands: picocli hands converters and handlers to the subcommands registered at that moment.
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
        int code = run(System.getenv(), args);
        if (args.length > 0 && QUIET.contains(args[0])) {
            // A quick command has nothing left to run at exit (no shutdown hook of its own; its store client, if it
            // opened one, is closed). System.exit would first ask the JDK's logging whether to log the exit, and that
            // looks for a LoggerFinder on the class path: the one time such a command opens and indexes the 29 MB jar.
            System.out.flush();
            System.err.flush();
            Runtime.getRuntime().halt(code);
        }
        System.exit(code);
    }

    /** What {@link #main} does, without exiting: returns the exit code. Also how {@link QuickTraining} runs commands. */
    static int run(Map<String, String> env, String... args) {
        // picocli's default factory looks for Groovy's Closure class when first used (Class.forName), which for a class
        // that is not there opens and indexes the 29 MB jar: a quick command's only other reason to open it. No command
        // here is a Groovy closure.
        if (System.getProperty("picocli.disable.closures") == null) {
            System.setProperty("picocli.disable.closures", "true");
        }
        boolean one = args.length > 0 && COMMANDS.contains(args[0]) && !args[0].equals("help");
        if (one && QUIET.contains(args[0])) {
            System.setProperty(LogSetup.DEFAULT_LEVEL, "WARN"); // before anything logs: LogSetup reads it once
        }
        return commandLine(env, one ? List.of(args[0]) : COMMANDS).execute(args);
    }
}
