package dev.autopilot.coordination.etcd;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * One keep-alive HTTP/1.1 connection to an etcd member's JSON gateway, carrying one request at a time on the calling
 * (virtual) thread: a blocking write of the request, a blocking read of the answer.
 *
 * <p>Written here instead of using the JDK's {@code HttpClient}: that client runs every request through an asynchronous
 * pipeline (a selector thread, publishers and schedulers, a task for each stage), which JFR showed to be more than half
 * of an idle agent's CPU for its ~5 requests a second (issue 14 §1). The gateway needs a small part of HTTP/1.1: a
 * request with a {@code Content-Length}, an answer with a {@code Content-Length} or chunked (watch streams), and
 * TLS, which is the JDK's {@link SSLSocket} with the endpoint's identity checked by JSSE itself.
 *
 * <p>Each read waits at most until the request's deadline (the socket's timeout is set before every read); a stream's
 * reads wait without bound, its watchdog closes it.
 */
final class GatewayConnection implements Closeable {

    /** A whole answer: its status and body. */
    record Answer(int status, byte[] body) {
    }

    /** A streaming request's answer: its body as a stream when the status is 200, else the whole error body. */
    record Opened(int status, byte[] error, InputStream body) {
    }

    /** The TLS side of a connection: the socket factory of the configured context, and the SNI name for IP endpoints. */
    record Tls(SSLSocketFactory sockets, String serverName) {
    }

    private static final int MAX_LINE = 64 * 1024;

    private final int endpoint;
    private final SocketChannel channel;
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final String hostHeader;
    private final byte[] buffer = new byte[8192];
    private int pos;
    private int limit;
    private long deadlineNanos; // 0: none (a stream)
    private boolean reusable = true;
    private boolean used;
    private boolean chunked; // the answer being read
    private long contentLength; // the answer being read; -1: none given
    private long idleSinceNanos = System.nanoTime();

    private GatewayConnection(int endpoint, SocketChannel channel, Socket socket, String hostHeader) throws IOException {
        this.endpoint = endpoint;
        this.channel = channel;
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        this.hostHeader = hostHeader;
    }

    /**
     * Connects to {@code uri} within {@code timeoutNanos}. A failure to connect is a {@link ConnectException} (nothing
     * was sent); a failed TLS handshake is the handshake's own exception.
     */
    static GatewayConnection open(int endpoint, URI uri, Tls tls, long timeoutNanos) throws IOException {
        String host = uri.getHost();
        String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        int port = uri.getPort() >= 0 ? uri.getPort() : tls != null ? 443 : 80;
        SocketChannel channel = SocketChannel.open(); // blocking; a channel only so that an idle connection can be peeked
        Socket plain = channel.socket();
        try {
            plain.setTcpNoDelay(true);
            plain.connect(new InetSocketAddress(bare, port), millis(timeoutNanos));
        } catch (IOException e) {
            plain.close();
            ConnectException c = new ConnectException("cannot connect to " + uri + ": " + e.getMessage());
            c.initCause(e);
            throw c;
        }
        String hostHeader = host + (uri.getPort() >= 0 ? ":" + port : "");
        if (tls == null) {
            return new GatewayConnection(endpoint, channel, plain, hostHeader);
        }
        try {
            SSLSocket s = (SSLSocket) tls.sockets().createSocket(plain, bare, port, true);
            SSLParameters p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS"); // JSSE checks the certificate: the SNI name first, then the host
            p.setApplicationProtocols(new String[] {"http/1.1"}); // etcd's TLS port offers h2 for gRPC; the gateway is HTTP/1.1
            if (tls.serverName() != null && isAddress(bare)) {
                p.setServerNames(List.of(new SNIHostName(tls.serverName())));
            }
            s.setSSLParameters(p);
            s.setSoTimeout(millis(timeoutNanos));
            s.startHandshake();
            return new GatewayConnection(endpoint, channel, s, hostHeader);
        } catch (IOException | RuntimeException e) {
            plain.close();
            throw e;
        }
    }

    private static boolean isAddress(String host) {
        return host.indexOf(':') >= 0 || host.chars().allMatch(c -> c == '.' || Character.isDigit(c));
    }

    int endpoint() {
        return endpoint;
    }

    /** Whether the connection carried a request before (a failure on it may be the member having closed it meanwhile). */
    boolean used() {
        return used;
    }

    /** Whether another request may follow on this connection: the last answer was read whole and the member keeps it open. */
    boolean reusable() {
        return reusable && !socket.isClosed();
    }

    /**
     * Whether an idle connection is still open at the other end: nothing may arrive between exchanges, so a byte or the
     * end of the stream there means the member closed it (restarted, or dropped it while idle). A read that does not
     * wait, at the TCP level (under TLS, a close_notify counts as such a byte).
     */
    boolean stillOpen() {
        if (pos < limit || socket.isClosed()) {
            return false;
        }
        try {
            channel.configureBlocking(false);
            try {
                return channel.read(ByteBuffer.allocate(1)) == 0;
            } finally {
                channel.configureBlocking(true);
            }
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Nanos since the connection last finished an exchange. */
    long idleNanos() {
        return System.nanoTime() - idleSinceNanos;
    }

    /**
     * One request and its whole answer, by {@code deadlineNanos} ({@link System#nanoTime()}); {@code body} null is a GET.
     */
    Answer exchange(String path, byte[] body, String authorization, long deadlineNanos) throws IOException {
        send(path, body, authorization, null, deadlineNanos);
        int status = readHead();
        byte[] answer = readBody();
        used = true;
        idleSinceNanos = System.nanoTime();
        return new Answer(status, answer);
    }

    /**
     * Starts a streaming request (a watch): its head by {@code deadlineNanos}, then, if the status is 200, its body as a
     * stream read without deadline (closing it closes the connection, which also ends a read blocked in it); any other
     * status comes with its whole body, and the connection closed.
     */
    Opened stream(String path, byte[] body, String authorization, String extraHeader, long deadlineNanos) throws IOException {
        send(path, body, authorization, extraHeader, deadlineNanos);
        int status = readHead();
        if (status != 200) {
            byte[] error = readBody();
            close();
            return new Opened(status, error, null);
        }
        reusable = false;
        this.deadlineNanos = 0;
        return new Opened(status, null, chunked ? new ChunkedStream() : new PlainStream());
    }

    private byte[] readBody() throws IOException {
        return chunked ? readChunkedBody() : contentLength >= 0 ? readExactly(contentLength) : readToEnd();
    }

    // ---- request ----

    private void send(String path, byte[] body, String authorization, String extraHeader, long deadlineNanos) throws IOException {
        this.deadlineNanos = deadlineNanos;
        StringBuilder head = new StringBuilder(200).append(body == null ? "GET " : "POST ").append(path).append(" HTTP/1.1\r\n")
                .append("Host: ").append(hostHeader).append("\r\n");
        if (body != null) {
            head.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
        }
        if (authorization != null) {
            head.append("Authorization: ").append(authorization).append("\r\n");
        }
        if (extraHeader != null) {
            head.append(extraHeader).append("\r\n");
        }
        head.append("\r\n");
        reusable = false; // until the answer is read whole
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (body != null) {
            out.write(body);
        }
        out.flush();
    }

    // ---- answer ----

    /** Reads the status line and headers; returns the status. */
    private int readHead() throws IOException {
        String statusLine = line();
        // "HTTP/1.1 200 OK"
        if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12) {
            throw new IOException("not an HTTP answer: " + statusLine);
        }
        boolean http10 = statusLine.startsWith("HTTP/1.0");
        int status;
        try {
            status = Integer.parseInt(statusLine.substring(9, 12));
        } catch (NumberFormatException e) {
            throw new IOException("not an HTTP answer: " + statusLine);
        }
        chunked = false;
        contentLength = -1;
        boolean close = http10;
        for (String h = line(); !h.isEmpty(); h = line()) {
            int colon = h.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String name = h.substring(0, colon).trim();
            String value = h.substring(colon + 1).trim();
            if (name.equalsIgnoreCase("Content-Length")) {
                contentLength = Long.parseLong(value);
            } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
                chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
            } else if (name.equalsIgnoreCase("Connection")) {
                close = value.equalsIgnoreCase("close") || (http10 && !value.equalsIgnoreCase("keep-alive"));
            }
        }
        if (status / 100 == 1) {
            return readHead(); // 100 Continue and the like: the real answer follows
        }
        reusable = !close && (chunked || contentLength >= 0);
        return status;
    }

    private byte[] readChunkedBody() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (long size = chunkSize(); size > 0; size = chunkSize()) {
            body.write(readExactly(size));
            expectEmptyLine();
        }
        skipTrailers();
        return body.toByteArray();
    }

    private byte[] readExactly(long length) throws IOException {
        if (length > Integer.MAX_VALUE - 8) {
            throw new IOException("answer too large: " + length + " bytes");
        }
        byte[] b = new byte[(int) length];
        int off = 0;
        while (off < b.length) {
            int n = read(b, off, b.length - off);
            if (n < 0) {
                throw new EOFException("the connection closed " + (b.length - off) + " bytes before the answer's end");
            }
            off += n;
        }
        return b;
    }

    private byte[] readToEnd() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        byte[] b = new byte[4096];
        for (int n; (n = read(b, 0, b.length)) >= 0; ) {
            body.write(b, 0, n);
        }
        reusable = false;
        return body.toByteArray();
    }

    private long chunkSize() throws IOException {
        String l = line();
        int semi = l.indexOf(';');
        try {
            return Long.parseLong((semi >= 0 ? l.substring(0, semi) : l).trim(), 16);
        } catch (NumberFormatException e) {
            throw new IOException("bad chunk size: " + l);
        }
    }

    private void expectEmptyLine() throws IOException {
        if (!line().isEmpty()) {
            throw new IOException("a chunk does not end with CRLF");
        }
    }

    private void skipTrailers() throws IOException {
        while (!line().isEmpty()) {
            // trailers carry nothing the gateway's clients read
        }
    }

    /** A line up to CRLF (or LF), without it. */
    private String line() throws IOException {
        StringBuilder l = new StringBuilder(64);
        while (true) {
            int c = read();
            if (c < 0) {
                throw new EOFException(l.isEmpty() ? "the connection closed before an answer" : "the connection closed within a line");
            }
            if (c == '\n') {
                int len = l.length();
                if (len > 0 && l.charAt(len - 1) == '\r') {
                    l.setLength(len - 1);
                }
                return l.toString();
            }
            if (l.length() >= MAX_LINE) {
                throw new IOException("a header line longer than " + MAX_LINE + " bytes");
            }
            l.append((char) c);
        }
    }

    private int read() throws IOException {
        if (pos == limit && !fill()) {
            return -1;
        }
        return buffer[pos++] & 0xff;
    }

    private int read(byte[] b, int off, int len) throws IOException {
        if (pos == limit) {
            if (len >= buffer.length) { // large reads bypass the buffer
                timeout();
                return in.read(b, off, len);
            }
            if (!fill()) {
                return -1;
            }
        }
        int n = Math.min(len, limit - pos);
        System.arraycopy(buffer, pos, b, off, n);
        pos += n;
        return n;
    }

    private boolean fill() throws IOException {
        timeout();
        int n = in.read(buffer, 0, buffer.length);
        if (n < 0) {
            return false;
        }
        pos = 0;
        limit = n;
        return true;
    }

    /** The socket's timeout for the next read: the time left to the deadline, or none for a stream. */
    private void timeout() throws IOException {
        if (deadlineNanos == 0) {
            socket.setSoTimeout(0);
            return;
        }
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
            throw new SocketTimeoutException("no answer within the request's time");
        }
        socket.setSoTimeout(millis(left));
    }

    private static int millis(long nanos) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(nanos) + 1));
    }

    @Override
    public void close() {
        reusable = false;
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing: nothing to do about it
        }
    }

    /** A stream's body: closing it closes the connection. */
    private abstract class BodyStream extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public void close() {
            GatewayConnection.this.close();
        }
    }

    /** A stream's body with a Content-Length or up to the connection's end. */
    private final class PlainStream extends BodyStream {
        private long left = contentLength;

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left == 0) {
                return -1;
            }
            int n = GatewayConnection.this.read(b, off, left > 0 ? (int) Math.min(len, left) : len);
            if (n > 0 && left > 0) {
                left -= n;
            }
            return n;
        }
    }

    /** A chunked stream's body, decoded: a watch's messages as etcd flushes them. */
    private final class ChunkedStream extends BodyStream {
        private long chunkLeft;
        private boolean ended;

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (ended) {
                return -1;
            }
            if (chunkLeft == 0) {
                chunkLeft = chunkSize();
                if (chunkLeft == 0) {
                    ended = true;
                    skipTrailers();
                    return -1;
                }
            }
            int n = GatewayConnection.this.read(b, off, (int) Math.min(len, chunkLeft));
            if (n < 0) {
                throw new EOFException("the stream closed within a chunk");
            }
            chunkLeft -= n;
            if (chunkLeft == 0) {
                expectEmptyLine();
            }
            return n;
        }
    }
}
