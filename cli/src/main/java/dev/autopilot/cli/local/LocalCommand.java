package dev.autopilot.cli.local;

import dev.autopilot.cli.ExitCodes;
import dev.autopilot.cli.command.CliCommand;
import picocli.CommandLine.Command;

/** {@code autopilot local up|down|kill|start|partition}: a whole cluster on this machine, on loopback addresses. */
@Command(name = "local", mixinStandardHelpOptions = true,
        description = "Run a whole cluster on this machine (etcd, N agents with mariadbd, HAProxy).",
        subcommands = {LocalUp.class, LocalDown.class, LocalKill.class, LocalStart.class, LocalPartition.class})
public final class LocalCommand extends CliCommand {
    @Override
    public Integer call() {
        spec.commandLine().usage(out());
        return ExitCodes.USAGE;
    }
}
