package dev.autopilot.cli.command;

/** {@code autopilot resume}: automatic failover on again. */
public final class ResumeCommand extends ClusterCommand {
    public ResumeCommand() {
        super("resume", "Resume automatic failover.");
    }

    @Override
    public Integer call() {
        return PauseCommand.setPaused(this, false);
    }
}
