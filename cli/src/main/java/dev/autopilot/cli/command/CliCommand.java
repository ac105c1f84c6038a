package dev.autopilot.cli.command;

import dev.autopilot.cli.Main;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** What every subcommand shares: its output streams and the environment of the root {@link Main}. */
public abstract class CliCommand implements Callable<Integer> {
    @Spec
    protected CommandSpec spec;

    protected Map<String, String> env() {
        return ((Main) spec.root().userObject()).env();
    }

    protected PrintWriter out() {
        return spec.commandLine().getOut();
    }

    protected PrintWriter err() {
        return spec.commandLine().getErr();
    }
}
