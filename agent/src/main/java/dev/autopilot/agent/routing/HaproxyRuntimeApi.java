package dev.autopilot.agent.routing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One HAProxy's runtime API (its {@code stats socket ... level admin}): a Unix socket ({@code unix:/run/haproxy.sock})
 * or a TCP address ({@code 10.0.0.5:9999}). Each call opens a connection, sends one line of commands separated by
 * {@code ;}, and reads HAProxy's answer until it closes the connection (the API's non-interactive mode).
 *
 * <p>Hand-written: the protocol is one line out and text back, and no Java library for it is kept up.
 */
public final class HaproxyRuntimeApi {
    private static final int MAX_ANSWER = 1 << 20;
    private final String address;
    private final SocketAddress socket;

    private HaproxyRuntimeApi(String address, SocketAddress socket) {
        this.address = address;
        this.socket = socket;
    }

    /**
     * {@code unix:/absolute/path} or {@code host:port}.
     *
     * @throws IllegalArgumentException saying what is wrong with {@code address} and what a good one looks like
     */
    public static HaproxyRuntimeApi of(String address) {
        if (address.startsWith("unix:")) {
            Path path = Path.of(address.substring("unix:".length()));
            if (!path.isAbsolute()) {
                throw new IllegalArgumentException("'" + address + "': the socket path must be absolute (unix:/run/haproxy/admin.sock)");
            }
            if (path.toString().getBytes(StandardCharsets.UTF_8).length > 107) {
                throw new IllegalArgumentException("'" + address + "': a Unix socket path may have at most 107 bytes; use a shorter one");
            }
            return new HaproxyRuntimeApi(address, UnixDomainSocketAddress.of(path));
        }
        int colon = address.lastIndexOf(':');
        int port = -1;
        try {
            port = colon > 0 ? Integer.parseInt(address.substring(colon + 1)) : -1;
        } catch (NumberFormatException e) {
            // reported below
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("'" + address + "' is neither unix:/path/to/socket nor host:port (e.g. 127.0.0.1:9999)");
        }
        return new HaproxyRuntimeApi(address, InetSocketAddress.createUnresolved(address.substring(0, colon), port));
    }

    /** The address as configured. */
    public String address() {
        return address;
    }

    /**
     * Runs {@code commands} (each one runtime-API command) and returns HAProxy's answer, empty when every command
     * succeeded silently.
     *
     * @throws IOException when HAProxy cannot be reached
     */
    public String run(List<String> commands) throws IOException {
        SocketAddress target = socket instanceof InetSocketAddress unresolved && unresolved.isUnresolved()
                ? new InetSocketAddress(unresolved.getHostString(), unresolved.getPort()) : socket;
        try (SocketChannel channel = socket instanceof UnixDomainSocketAddress
                ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open()) {
            channel.connect(target);
            channel.write(ByteBuffer.wrap((String.join(";", commands) + "\n").getBytes(StandardCharsets.UTF_8)));
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            ByteBuffer buffer = ByteBuffer.allocate(8192);
            while (channel.read(buffer) >= 0 && answer.size() < MAX_ANSWER) {
                answer.write(buffer.array(), 0, buffer.position());
                buffer.clear();
            }
            return answer.toString(StandardCharsets.UTF_8).strip();
        }
    }

    /** The names of the servers of {@code backend} (from {@code show servers state}). */
    public List<String> servers(String backend) throws IOException {
        String answer = run(List.of("show servers state " + backend));
        List<String> names = new ArrayList<>();
        for (String line : answer.lines().toList()) {
            // "1" (format version), "# be_id be_name srv_id srv_name ...", then one line per server.
            String[] fields = line.strip().split("\\s+");
            if (fields.length > 3 && !line.startsWith("#") && fields[1].equals(backend)) {
                names.add(fields[3]);
            }
        }
        if (names.isEmpty() && !answer.isEmpty() && !answer.startsWith("1")) {
            throw new IOException("HAProxy at " + address + " answered 'show servers state " + backend + "' with: " + firstLine(answer));
        }
        return names;
    }

    static String firstLine(String answer) {
        return answer.lines().findFirst().orElse("").strip();
    }

    @Override
    public String toString() {
        return address;
    }
}
