package dev.autopilot.agent.it;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A real HAProxy in front of a test cluster, configured as {@code autopilot local up} configures its own: TCP on
 * {@code address:3306} to the member whose agent answers 200 to {@code HEAD /primary}, checked every {@code checkEvery},
 * and a runtime API on a Unix socket that the agents are given as {@code haproxy.runtimeApi}.
 */
final class HaproxyFront implements AutoCloseable {
    final String address;
    final Path socket;
    private final Process process;

    private HaproxyFront(String address, Path socket, Process process) {
        this.address = address;
        this.socket = socket;
        this.process = process;
    }

    /** The runtime API's socket for a proxy started in {@code dir}: give it to the agents before they start. */
    static Path socketIn(Path dir) {
        return dir.resolve("haproxy.sock");
    }

    /**
     * Starts HAProxy on {@code address:3306} in {@code dir} with one server per node, named as the member; servers up
     * are checked every {@code checkEvery}, servers down at twice that (as {@code autopilot local up} configures it).
     */
    static HaproxyFront start(Path dir, String address, List<AgentNode> nodes, Duration checkEvery) throws IOException {
        StringBuilder cfg = new StringBuilder("""
                global
                    maxconn 256
                    stats socket %s mode 600 level admin
                defaults
                    mode tcp
                    timeout connect 2s
                    timeout client 1h
                    timeout server 1h
                    timeout check 1s
                    default-server inter %dms downinter %dms fall 1 rise 1 on-marked-down shutdown-sessions
                listen primary
                    bind %s:3306
                    option httpchk HEAD /primary
                    http-check expect status 200
                """.formatted(socketIn(dir), checkEvery.toMillis(), 2 * checkEvery.toMillis(), address));
        for (AgentNode n : nodes) {
            cfg.append("    server ").append(n.name).append(' ').append(n.address).append(":3306 check port 8008\n");
        }
        Path file = dir.resolve("haproxy.cfg");
        Files.writeString(file, cfg);
        Process p = new ProcessBuilder("haproxy", "-db", "-f", file.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.log").toFile()).start();
        HaproxyFront front = new HaproxyFront(address, socketIn(dir), p);
        await("HAProxy listening on " + address + ":3306").atMost(Duration.ofSeconds(10)).until(() -> {
            try (Socket s = new Socket(address, 3306)) {
                return true;
            } catch (IOException e) {
                return !p.isAlive() ? fail(dir) : false;
            }
        });
        return front;
    }

    private static boolean fail(Path dir) throws IOException {
        throw new IllegalStateException("HAProxy exited: " + Files.readString(dir.resolve("haproxy.log")));
    }

    @Override
    public void close() {
        process.destroy();
    }
}
