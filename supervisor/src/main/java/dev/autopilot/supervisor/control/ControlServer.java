package dev.autopilot.supervisor.control;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The supervisor's local control endpoint: a Unix-domain socket (mode 0600, so only the supervisor's
 * user and root can use it; no token needed). Protocol: the client writes one request line
 * ({@code ping}, {@code reload}, {@code maintenance on|off}, {@code status}); the server answers
 * {@code ok} or {@code error} on the first line, then detail lines, and closes.
 */
public final class ControlServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);

    /** The socket used when neither the command line nor the file names one. */
    public static Path defaultSocket() {
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        Path dir = Path.of(runtime != null ? runtime : Files.isWritable(Path.of("/run")) ? "/run" : "/tmp");
        return dir.resolve("autopilot-supervisor.sock");
    }

    private final Path socket;
    private final ServerSocketChannel server;
    private final ControlHandler handler;
    private final Thread acceptor;

    public ControlServer(Path socket, ControlHandler handler) throws IOException {
        this.socket = socket;
        this.handler = handler;
        if (socket.getParent() != null) {
            Files.createDirectories(socket.getParent());
        }
        Files.deleteIfExists(socket); // left behind by a previous run that was killed
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        acceptor = Thread.ofVirtual().name("control-accept").start(this::accept);
        LOG.info("control socket listening on {}", socket);
    }

    public Path socket() {
        return socket;
    }

    private void accept() {
        while (server.isOpen()) {
            try {
                SocketChannel c = server.accept();
                Thread.ofVirtual().name("control-request").start(() -> serve(c));
            } catch (IOException e) {
                if (server.isOpen()) {
                    LOG.warn("control socket {}: {}", socket, e.toString());
                }
                return;
            }
        }
    }

    private void serve(SocketChannel c) {
        try (c;
             BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(c), StandardCharsets.UTF_8));
             Writer out = new OutputStreamWriter(Channels.newOutputStream(c), StandardCharsets.UTF_8)) {
            String request = in.readLine();
            ControlResponse r = handle(request == null ? "" : request.strip());
            out.write((r.ok() ? "ok" : "error") + "\n");
            for (String line : r.lines()) {
                out.write(line + "\n");
            }
            out.flush();
        } catch (IOException e) {
            LOG.debug("control client went away: {}", e.toString());
        }
    }

    private ControlResponse handle(String request) {
        LOG.info("control request: {}", request);
        try {
            List<String> lines = switch (request) {
                case "ping" -> List.of("pong");
                case "reload" -> handler.reload();
                case "maintenance on" -> handler.maintenance(true);
                case "maintenance off" -> handler.maintenance(false);
                case "status" -> handler.status();
                default -> throw new ControlHandler.ControlException("unknown request '" + request
                        + "' (known: ping, reload, maintenance on, maintenance off, status)");
            };
            return new ControlResponse(true, lines);
        } catch (ControlHandler.ControlException e) {
            return new ControlResponse(false, e.getMessage().lines().toList());
        } catch (RuntimeException e) {
            LOG.error("control request '{}' failed", request, e);
            return new ControlResponse(false, List.of("internal error: " + e));
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        acceptor.interrupt();
        Files.deleteIfExists(socket);
    }
}
