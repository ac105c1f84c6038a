package dev.autopilot.supervisor.control;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Client for {@link ControlServer}; what {@code autopilot ctl} uses. One connection per request. */
public final class ControlClient {
    private final Path socket;

    public ControlClient(Path socket) {
        this.socket = socket;
    }

    public ControlResponse ping() throws IOException {
        return send("ping");
    }

    public ControlResponse reload() throws IOException {
        return send("reload");
    }

    public ControlResponse maintenance(boolean on) throws IOException {
        return send(on ? "maintenance on" : "maintenance off");
    }

    public ControlResponse status() throws IOException {
        return send("status");
    }

    /**
     * Sends one raw request line.
     *
     * @throws IOException when the supervisor is not listening on the socket
     */
    public ControlResponse send(String request) throws IOException {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            try {
                c.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                throw new IOException("no supervisor listening on " + socket + " (" + e.getMessage()
                        + "); is it running, and is this the socket it was started with (--control-socket)?", e);
            }
            c.write(ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.UTF_8)));
            c.shutdownOutput();
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(c), StandardCharsets.UTF_8));
            String first = in.readLine();
            if (first == null) {
                throw new IOException("supervisor at " + socket + " closed the connection without an answer");
            }
            List<String> lines = new ArrayList<>();
            for (String l = in.readLine(); l != null; l = in.readLine()) {
                lines.add(l);
            }
            return new ControlResponse(first.equals("ok"), lines);
        }
    }
}
