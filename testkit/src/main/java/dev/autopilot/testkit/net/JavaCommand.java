package dev.autopilot.testkit.net;

import java.util.ArrayList;
import java.util.List;

/**
 * The command line that runs a main class in a child JVM with this JVM's binary and class path, so a test can put
 * a participant (a lock holder, an agent) in its own process: killable with SIGKILL, or placeable in a network
 * namespace with {@link NetworkNamespace#wrap}.
 */
public final class JavaCommand {

    private JavaCommand() {
    }

    /** {@code <this java> -cp <this class path> <jvmArgs> mainClass args...}. */
    public static List<String> of(Class<?> mainClass, List<String> jvmArgs, List<String> args) {
        String java = ProcessHandle.current().info().command()
                .orElseThrow(() -> new IllegalStateException("cannot tell which java binary runs this JVM"));
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.addAll(jvmArgs);
        cmd.add(mainClass.getName());
        cmd.addAll(args);
        return List.copyOf(cmd);
    }

    /** {@link #of(Class, List, List)} with small-heap JVM flags suited to test children. */
    public static List<String> of(Class<?> mainClass, String... args) {
        return of(mainClass, List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"), List.of(args));
    }
}
