package dev.autopilot.testkit.net;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command in a new, private network namespace ({@code unshare -n}) with only the loopback interface, brought
 * up first, and in a private mount namespace ({@code -m}), so a scenario can mount file systems of its own (a small
 * tmpfs to fill up) that the host never sees. Every 127.x.y.z address is local there, so a whole scenario (etcd
 * members, agents, contenders) runs on its own addresses, and {@link Firewall} rules inside it can cut links without touching the host's firewall.
 *
 * <p>Everything started by the command stays in the namespace; the namespace disappears when its last process
 * exits, so always end a scenario with {@link #destroyTree(Process)}. Maven and other real-network work must stay
 * in the parent JVM.
 */
public final class NetworkNamespace {

    private NetworkNamespace() {
    }

    /** {@code unshare -m -n -- sh -c 'ip link set lo up && exec "$0" "$@"' command...}. */
    public static List<String> wrap(List<String> command) {
        List<String> cmd = new ArrayList<>(List.of("unshare", "-m", "-n", "--", "sh", "-c", "ip link set lo up && exec \"$0\" \"$@\""));
        cmd.addAll(command);
        return List.copyOf(cmd);
    }

    /** Starts {@code command} in a new namespace, stdout and stderr merged into {@code output}. */
    public static Process start(List<String> command, Path output) {
        try {
            ProcessBuilder pb = new ProcessBuilder(wrap(command)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
            pb.environment().put(PARENT_NETNS, namespace("net"));
            pb.environment().put(PARENT_MNTNS, namespace("mnt"));
            return pb.start();
        } catch (IOException e) {
            throw new IllegalStateException("could not start " + command.getFirst() + " under unshare -n", e);
        }
    }

    /** Why namespaces cannot be used here, or empty when they can (root, unshare, ip and iptables present). */
    public static java.util.Optional<String> unavailableReason() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return java.util.Optional.of("network namespaces need root (running as " + System.getProperty("user.name") + ")");
        }
        for (String tool : List.of("/usr/bin/unshare", "/usr/sbin/ip", "/usr/sbin/iptables")) {
            if (!Files.isExecutable(Path.of(tool)) && !Files.isExecutable(Path.of(tool.replace("/usr", "")))) {
                return java.util.Optional.of(tool + " missing (apt-get install util-linux iproute2 iptables)");
            }
        }
        return java.util.Optional.empty();
    }

    /**
     * Whether this process runs in a namespace made by {@link #start}: its network namespace differs from the one
     * {@link #start} was called in (passed down in {@value #PARENT_NETNS}), or else from PID 1's when readable.
     * False when in doubt, so {@link Firewall} never touches a shared firewall.
     */
    public static boolean insidePrivateNamespace() {
        try {
            String self = namespace("net");
            String parent = System.getenv(PARENT_NETNS);
            if (parent != null && !parent.isBlank()) {
                return !self.equals(parent);
            }
            return !self.equals(Files.readSymbolicLink(Path.of("/proc/1/ns/net")).toString());
        } catch (IOException | IllegalStateException e) {
            return false;
        }
    }

    /**
     * Whether this process has mount points of its own: its mount namespace differs from the one {@link #start} was
     * called in ({@value #PARENT_MNTNS}). False when in doubt, so nothing is ever mounted where the host would see it.
     */
    public static boolean privateMounts() {
        try {
            String parent = System.getenv(PARENT_MNTNS);
            return parent != null && !parent.isBlank() && !namespace("mnt").equals(parent);
        } catch (IllegalStateException e) {
            return false;
        }
    }

    /** Environment variable carrying the parent's mount namespace id to a child made by {@link #start}. */
    public static final String PARENT_MNTNS = "AUTOPILOT_PARENT_MNTNS";

    private static String namespace(String kind) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/ns/" + kind)).toString();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/self/ns/" + kind, e);
        }
    }

    /** Environment variable carrying the parent's network namespace id to a child made by {@link #start}. */
    public static final String PARENT_NETNS = "AUTOPILOT_PARENT_NETNS";

    /** SIGKILLs the process and all its descendants (children first are collected before the parent dies). */
    public static void destroyTree(Process process) {
        List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
        all.add(process.toHandle());
        all.forEach(ProcessHandle::destroyForcibly);
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
