package dev.autopilot.testkit.net;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * iptables DROP rules between loopback addresses, for partition tests. Refuses to run outside a private network
 * namespace (see {@link NetworkNamespace}), so a test can never change the host's firewall.
 *
 * <p>{@link #cut} drops packets in both directions on INPUT, which on loopback is where every packet between two
 * local addresses passes; established TCP connections then stall (as in a real partition) rather than reset.
 */
public final class Firewall {

    private Firewall() {
    }

    /** Drops every packet between {@code a} and {@code b}, both directions. */
    public static void cut(String a, String b) {
        rule("-A", a, b);
        rule("-A", b, a);
    }

    /** Removes the rules added by {@link #cut(String, String)}. */
    public static void heal(String a, String b) {
        rule("-D", a, b);
        rule("-D", b, a);
    }

    /**
     * Drops every packet to or from {@code address}, whoever the peer is. On loopback a client's source address is
     * 127.0.0.1 whatever it connects to, so isolating the address a client connects <em>to</em> (e.g. an etcd
     * member's alias, see {@code EtcdCluster.Builder#clientAliases}) is how one client alone is cut off.
     */
    public static void isolate(String address) {
        isolation("-A", address);
    }

    /** Removes the rules added by {@link #isolate(String)}. */
    public static void rejoin(String address) {
        isolation("-D", address);
    }

    private static void isolation(String op, String address) {
        requirePrivateNamespace();
        run(List.of("iptables", "-w", op, "INPUT", "-d", address, "-j", "DROP"));
        run(List.of("iptables", "-w", op, "INPUT", "-s", address, "-j", "DROP"));
    }

    /** Cuts every address of {@code side} from every address of {@code other}. */
    public static void cut(List<String> side, List<String> other) {
        side.forEach(a -> other.forEach(b -> cut(a, b)));
    }

    /** Heals what {@link #cut(List, List)} cut. */
    public static void heal(List<String> side, List<String> other) {
        side.forEach(a -> other.forEach(b -> heal(a, b)));
    }

    private static void requirePrivateNamespace() {
        if (!NetworkNamespace.insidePrivateNamespace()) {
            throw new IllegalStateException("Firewall refuses to change iptables outside a private network namespace; "
                    + "run the scenario through NetworkNamespace.start(...)");
        }
    }

    private static void rule(String op, String from, String to) {
        requirePrivateNamespace();
        run(List.of("iptables", "-w", op, "INPUT", "-s", from, "-d", to, "-j", "DROP"));
    }

    private static void run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(new ArrayList<>(cmd)).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
            }
        } catch (IOException e) {
            throw new IllegalStateException("could not run " + String.join(" ", cmd), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running iptables", e);
        }
    }
}
