package dev.autopilot.deploy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Lets the test JVM, in the host's network namespace, reach addresses that exist only inside the namespace the
 * containers run in. Two halves meet at a unix socket (a file, so visible from both namespaces): {@link #main} runs
 * inside the namespace ({@code nsenter --net=...}), reads one line {@code host:port} per connection and connects
 * there; {@link #forward} listens on 127.0.62.1 in the host's namespace and sends each connection through the socket
 * with its target. JDBC and HTTP clients then connect to a local address as if the container were local.
 */
final class NamespaceRelay implements AutoCloseable {
    private static final InetAddress LOCAL = address("127.0.62.1");

    private final Process inside;
    private final Path socket;
    private final Map<String, ServerSocketChannel> listeners = new ConcurrentHashMap<>();

    private NamespaceRelay(Process inside, Path socket) {
        this.inside = inside;
        this.socket = socket;
    }

    /** Starts the inner half in network namespace {@code netns} (a path such as /run/netns/NAME). */
    static NamespaceRelay start(String netns, Path socket, Path log) throws IOException, InterruptedException {
        Files.deleteIfExists(socket);
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        String classes = Path.of(NamespaceRelay.class.getProtectionDomain().getCodeSource().getLocation().getPath()).toString();
        Process p = new ProcessBuilder(List.of("nsenter", "--net=" + netns, "--", java.toString(), "-Xmx32m", "-cp", classes,
                NamespaceRelay.class.getName(), socket.toString()))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!Files.exists(socket)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new IOException("the relay inside " + netns + " did not start; see " + log);
            }
            Thread.sleep(50);
        }
        return new NamespaceRelay(p, socket);
    }

    /** A local address whose connections reach {@code host:port} inside the namespace. */
    InetSocketAddress forward(String host, int port) {
        ServerSocketChannel server = listeners.computeIfAbsent(host + ":" + port, target -> {
            try {
                ServerSocketChannel s = ServerSocketChannel.open().bind(new InetSocketAddress(LOCAL, 0));
                Thread.ofPlatform().daemon().name("relay " + target).start(() -> accept(s, target));
                return s;
            } catch (IOException e) {
                throw new IllegalStateException("cannot listen on " + LOCAL, e);
            }
        });
        try {
            return (InetSocketAddress) server.getLocalAddress();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void accept(ServerSocketChannel server, String target) {
        while (server.isOpen()) {
            try {
                SocketChannel client = server.accept();
                SocketChannel through = SocketChannel.open(UnixDomainSocketAddress.of(socket));
                through.write(ByteBuffer.wrap((target + "\n").getBytes(StandardCharsets.US_ASCII)));
                splice(client, through);
            } catch (IOException e) {
                // Closed at the end of the test, or the inner half is gone: the client sees its connection fail.
            }
        }
    }

    /** Copies both ways until either side closes, then closes both. */
    private static void splice(SocketChannel a, SocketChannel b) {
        Thread.ofVirtual().start(() -> copy(a, b));
        Thread.ofVirtual().start(() -> copy(b, a));
    }

    private static void copy(SocketChannel from, SocketChannel to) {
        ByteBuffer buf = ByteBuffer.allocate(16384);
        try {
            while (from.read(buf) >= 0) {
                buf.flip();
                while (buf.hasRemaining()) {
                    to.write(buf);
                }
                buf.clear();
            }
        } catch (IOException e) {
            // The other side closed.
        } finally {
            try (from; to) {
                // closes both
            } catch (IOException ignored) {
                // already closed
            }
        }
    }

    @Override
    public void close() {
        listeners.values().forEach(s -> {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing
            }
        });
        inside.destroyForcibly();
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The inner half: {@code NamespaceRelay SOCKET}, run inside the containers' network namespace. */
    public static void main(String[] args) throws IOException {
        Path path = Path.of(args[0]);
        Files.deleteIfExists(path);
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(path));
            while (true) {
                SocketChannel client = server.accept();
                Thread.ofVirtual().start(() -> connect(client));
            }
        }
    }

    private static void connect(SocketChannel client) {
        try {
            ByteBuffer one = ByteBuffer.allocate(1);
            StringBuilder target = new StringBuilder();
            while (true) {
                one.clear();
                if (client.read(one) < 0) {
                    client.close();
                    return;
                }
                char c = (char) one.get(0);
                if (c == '\n') {
                    break;
                }
                target.append(c);
            }
            int colon = target.lastIndexOf(":");
            SocketChannel tcp = SocketChannel.open();
            tcp.socket().connect(new InetSocketAddress(target.substring(0, colon), Integer.parseInt(target.substring(colon + 1))), 2000);
            splice(client, tcp);
        } catch (IOException | RuntimeException e) {
            try {
                client.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }
}
