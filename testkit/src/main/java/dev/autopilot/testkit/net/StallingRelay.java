package dev.autopilot.testkit.net;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay in front of one server that can hold back what clients send and deliver it later, after the client has
 * given up: the late request a proxy or a slow network hands to a server. While {@link #stall() stalled}, bytes from
 * clients are kept; {@link #release()} delivers them over the relay's own connection, which stays open until the
 * server answers, so the server processes the request as if it had just arrived (a closed client does not cancel it).
 *
 * <p>Hand-written: no library relays TCP with a hold-back switch, and the behaviour under test is exactly this one.
 */
public final class StallingRelay implements AutoCloseable {

    private final ServerSocket listener;
    private final InetSocketAddress target;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger lateAnswers = new AtomicInteger();
    private boolean stalled;

    /** Starts a relay listening on {@code address} (any free port) to {@code target}. */
    public StallingRelay(String address, InetSocketAddress target) {
        this.target = target;
        try {
            listener = new ServerSocket(0, 50, InetAddress.getByName(address));
        } catch (IOException e) {
            throw new UncheckedIOException("relay on " + address, e);
        }
        Thread.ofVirtual().name("relay-accept").start(this::accept);
    }

    /** The relay's address as an http endpoint. */
    public URI endpoint() {
        return URI.create("http://" + listener.getInetAddress().getHostAddress() + ":" + listener.getLocalPort());
    }

    /** Holds back everything clients send from now on. */
    public synchronized void stall() {
        stalled = true;
    }

    /** Delivers what was held back (and everything after it) to the server. */
    public void release() {
        synchronized (this) {
            stalled = false;
        }
        connections.forEach(Connection::flush);
    }

    /** How many answers the server gave to requests that had been held back. */
    public int lateAnswers() {
        return lateAnswers.get();
    }

    private synchronized boolean isStalled() {
        return stalled;
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Connection c = new Connection(listener.accept(), new Socket(target.getAddress(), target.getPort()));
                connections.add(c);
                Thread.ofVirtual().name("relay-up").start(c::up);
                Thread.ofVirtual().name("relay-down").start(c::down);
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    /** One client's connection and the relay's own connection to the server. */
    private final class Connection {
        private final Socket client;
        private final Socket server;
        private final ByteArrayOutputStream held = new ByteArrayOutputStream();
        /** Some of the held bytes arrived while the relay was stalled. */
        private boolean heldBack;
        /** Bytes that were held back have been delivered and the server has not answered them yet. */
        private volatile boolean lateOutstanding;

        Connection(Socket client, Socket server) {
            this.client = client;
            this.server = server;
        }

        /** Client → server. When the client goes, the server's connection stays open: closing it could cancel the request. */
        void up() {
            byte[] buffer = new byte[8192];
            try (InputStream in = client.getInputStream()) {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    synchronized (this) {
                        held.write(buffer, 0, n);
                        heldBack |= isStalled();
                    }
                    if (!isStalled()) { // checked after holding: a release in between has flushed it, or this does
                        flush();
                    }
                }
            } catch (IOException e) {
                // the client went away (reset): what it sent before is still delivered on release
            }
        }

        /** Sends what is held back. */
        synchronized void flush() {
            if (held.size() == 0) {
                return;
            }
            lateOutstanding |= heldBack;
            heldBack = false;
            try {
                OutputStream out = server.getOutputStream();
                out.write(held.toByteArray());
                out.flush();
            } catch (IOException e) {
                closeBoth();
            }
            held.reset();
        }

        /** Server → client, while the client is there; counts answers to held-back requests. */
        void down() {
            byte[] buffer = new byte[8192];
            try (InputStream in = server.getInputStream()) {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    if (lateOutstanding) {
                        lateOutstanding = false;
                        lateAnswers.incrementAndGet();
                    }
                    try {
                        client.getOutputStream().write(buffer, 0, n);
                    } catch (IOException clientLeft) {
                        // the client has given up; the answer has nowhere to go
                    }
                }
            } catch (IOException e) {
                // server closed
            } finally {
                closeBoth();
            }
        }

        void closeBoth() {
            connections.remove(this);
            quietly(client);
            quietly(server);
        }
    }

    private static void quietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        release();
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        connections.forEach(Connection::closeBoth);
    }
}
