package dev.autopilot.cli.command;

import dev.autopilot.supervisor.SupervisorMain;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/** {@code autopilot supervise --config FILE [--pid1] [--control-socket PATH]}: the generic process supervisor. */
@Command(name = "supervise", description = "Supervise the jobs of a YAML file (the ContainerPilot role).")
public final class SuperviseCommand extends CliCommand {
    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        return SupervisorMain.run(List.copyOf(args), new PrintStream(new WriterStream(out()), true),
                new PrintStream(new WriterStream(err()), true));
    }
}
