package dev.autopilot.supervisor.process;

import java.io.PrintStream;

/** Where the lines a job writes go. Each call gets one complete line, without its newline. */
@FunctionalInterface
public interface JobOutput {
    void line(String job, boolean stderr, String line);

    /** Prints {@code [job] line} to {@code out} or {@code err}, whole lines only. */
    static JobOutput tagged(PrintStream out, PrintStream err) {
        return (job, stderr, line) -> {
            PrintStream s = stderr ? err : out;
            synchronized (s) {
                s.println("[" + job + "] " + line);
            }
        };
    }
}
