package dev.autopilot.cli.command;

import dev.autopilot.cli.Main;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Spec;

/**
 * What every subcommand shares: its output streams and the environment of the root {@link Main}.
 *
 * <p>A command's model (options, help) comes either from picocli's annotations, or, for the commands operators run in
 * loops ({@code status}, {@code switchover} and the other cluster commands), is built in code with picocli's
 * programmatic API by {@link #CliCommand(String, String...)}. Annotations cost a short command about a fifth of its
 * run: picocli reads them by reflection, and the JDK generates a proxy class for each annotation type it meets; the
 * same model built here takes a few method calls. Such a command reads what was parsed with {@link #option(String)}.
 */
public abstract class CliCommand implements Callable<Integer> {
    /** The key picocli's own {@code mixinStandardHelpOptions} uses, so that picocli treats our help options as its own. */
    private static final String STANDARD_HELP = "mixinStandardHelpOptions";

    @Spec
    protected CommandSpec spec;

    private final boolean modelInCode;

    /** A command described by annotations: picocli builds its model and injects {@link #spec}. */
    protected CliCommand() {
        modelInCode = false;
    }

    /** A command whose model is built in code: named {@code name}, with {@code -h} and {@code -V}; subclasses add options. */
    protected CliCommand(String name, String... description) {
        modelInCode = true;
        spec = CommandSpec.wrapWithoutInspection(this);
        spec.name(name).usageMessage().description(description);
        addStandardHelpOptions(spec);
    }

    /** What to register with picocli: the model built in code, or this annotated object for picocli to inspect. */
    public Object model() {
        return modelInCode ? spec : this;
    }

    /** {@code -h, --help} and {@code -V, --version}, as {@code mixinStandardHelpOptions = true} adds them, without reflection. */
    public static void addStandardHelpOptions(CommandSpec command) {
        CommandSpec help = CommandSpec.create();
        help.addOption(OptionSpec.builder("-h", "--help").type(boolean.class).usageHelp(true)
                .descriptionKey("mixinStandardHelpOptions.help").description("Show this help message and exit.").build());
        help.addOption(OptionSpec.builder("-V", "--version").type(boolean.class).versionHelp(true)
                .descriptionKey("mixinStandardHelpOptions.version").description("Print version information and exit.").build());
        command.addMixin(STANDARD_HELP, help);
    }

    /** A flag: false unless given. */
    protected static OptionSpec flag(String name, String description) {
        return OptionSpec.builder(name).type(boolean.class).initialValue(false).description(description).build();
    }

    /** An option taking one value of {@code type} (converted as picocli converts annotated fields of that type). */
    protected static OptionSpec.Builder option(String name, Class<?> type, String paramLabel, String description) {
        return OptionSpec.builder(name).type(type).paramLabel(paramLabel).description(description);
    }

    /** The parsed value of option {@code name} of a command built in code: as given, else its default, else null. */
    protected <T> T option(String name) {
        return spec.findOption(name).getValue();
    }

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
