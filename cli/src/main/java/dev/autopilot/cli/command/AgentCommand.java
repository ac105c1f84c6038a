package dev.autopilot.cli.command;

import dev.autopilot.agent.AgentMain;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code autopilot agent [--config FILE]}: runs this member's agent until SIGTERM (PID 1 in a container).
 * Without {@code --config} the configuration comes from {@code AUTOPILOT_*} variables alone.
 * Exit codes as {@link AgentMain}: 0 stopped, 1 could not start, 2 invalid configuration.
 */
@Command(name = "agent", mixinStandardHelpOptions = true, description = "Run this member's agent (database, HA loop, REST API).")
public final class AgentCommand extends CliCommand {
    @Option(names = "--config", paramLabel = "FILE", description = "agent.yaml; AUTOPILOT_* variables override it.")
    Path config;

    @Override
    public Integer call() {
        PrintStream errStream = new PrintStream(new WriterStream(err()), true);
        return AgentMain.run(Optional.ofNullable(config), env(), errStream);
    }
}
