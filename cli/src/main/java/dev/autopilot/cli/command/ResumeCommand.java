package dev.autopilot.cli.command;

import picocli.CommandLine.Command;

/** {@code autopilot resume}: automatic failover on again. */
@Command(name = "resume", mixinStandardHelpOptions = true, description = "Resume automatic failover.")
public final class ResumeCommand extends ClusterCommand {
    @Override
    public Integer call() {
        return PauseCommand.setPaused(this, false);
    }
}
