package dev.autopilot.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

/** One in-process run of the CLI: exit code, standard output and standard error. */
record CliRun(int exit, String out, String err) {

    static CliRun of(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cli = Main.commandLine(env);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new CliRun(exit, out.toString(), err.toString());
    }

    static CliRun of(String... args) {
        return of(Map.of("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin")), args);
    }

    @Override
    public String toString() {
        return "exit " + exit + "\n--- out ---\n" + out + "--- err ---\n" + err;
    }
}
