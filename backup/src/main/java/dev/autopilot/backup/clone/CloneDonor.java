package dev.autopilot.backup.clone;

import dev.autopilot.backup.restore.TransferProgress;
import dev.autopilot.backup.tool.ToolProcess;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import javax.net.ssl.SSLServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Serves live clones of the local server to joining peers: a small TCP server that authenticates each
 * joiner (HMAC challenge-response on the shared {@link CloneToken}), then runs
 * {@code mariabackup --backup --stream=xbstream} and frames its stdout onto the socket as it comes: no
 * staging copy on the donor. One clone at a time; a second joiner is refused with {@link
 * CloneException.Reason#BUSY}. A failed backup ends the stream with an ERROR frame carrying mariabackup's
 * last output, never with a trailer, so the joiner cannot mistake it for a complete copy.
 *
 * <p>Strangers at the port: the whole handshake must finish within {@value #HANDSHAKE_DEADLINE_MS} ms of the
 * connection (a peer trickling bytes cannot hold it open), at most {@value #MAX_HANDSHAKES} handshakes run at once
 * (more connections are closed at once), and the warnings about failed handshakes are rate-limited.
 *
 * <p>Lifecycle: {@link #start()} once, {@link #close()} stops accepting and kills a running backup.
 */
public final class CloneDonor implements Closeable {

    private static final Logger log = LoggerFactory.getLogger(CloneDonor.class);
    private static final int HANDSHAKE_TIMEOUT_MS = 10_000;
    /** The whole handshake, however the peer paces its bytes (each read alone is bounded by the timeout above). */
    static final int HANDSHAKE_DEADLINE_MS = 10_000;
    static final int MAX_HANDSHAKES = 4;
    private static final Duration WARNING_INTERVAL = Duration.ofSeconds(30);
    private static final int SOCKET_BUFFER = 4 << 20;
    private static final int CONTROL_BUFFER = 8 * 1024;
    private static final Duration SESSION_STOP_WAIT = Duration.ofSeconds(10);
    /** Binlogs, relay logs ({@code name.000001}), redo and temporary tablespace, logs: not part of a backup's size. */
    private static final Pattern NOT_COPIED = Pattern.compile(".+\\.[0-9]{6}|ib_logfile[0-9]+|ibtmp[0-9]+|.+\\.(err|pid|sock)");

    private enum State { LATENT, STARTED, CLOSED }

    private final DonorSettings settings;
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    /** The joiner being served, or null: the one-clone-at-a-time guard. */
    private final AtomicReference<String> serving = new AtomicReference<>();
    private final AtomicReference<ToolProcess> running = new AtomicReference<>();
    private final Set<Thread> sessions = ConcurrentHashMap.newKeySet();
    private final AtomicLong started = new AtomicLong();
    private final AtomicLong completed = new AtomicLong();
    private final Semaphore handshakes = new Semaphore(MAX_HANDSHAKES);
    private final WarningRateLimit strangerWarnings = new WarningRateLimit(WARNING_INTERVAL, System::nanoTime);
    private final ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("clone-donor-deadlines").daemon().factory());
    private ServerSocket server;

    private volatile Runnable afterClone = () -> { };

    /** Runs {@code action} after each clone streamed (or failed while streaming), on the session's thread. */
    public void afterEachClone(Runnable action) {
        this.afterClone = action;
    }

    public CloneDonor(DonorSettings settings) {
        this.settings = settings;
    }

    /** Binds the listen address and starts accepting joiners. */
    public synchronized void start() throws IOException {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            throw new IllegalStateException("clone donor on " + settings.listen() + " cannot start: it is " + state.get());
        }
        if (settings.streamTls().isPresent()) {
            // The TLS handshake runs on the session's first read, inside the handshake deadline like the token's.
            SSLServerSocket tls = (SSLServerSocket) settings.streamTls().get().getServerSocketFactory().createServerSocket();
            tls.setNeedClientAuth(true);
            server = tls;
        } else {
            server = new ServerSocket();
        }
        server.setReuseAddress(true);
        server.bind(settings.listen());
        Thread.ofPlatform().name("clone-donor-" + settings.listen().getPort()).daemon().start(this::acceptLoop);
        log.info("clone donor listening on {} for joiners ({}; datadir {})", address(),
                settings.streamTls().isPresent() ? "mutual TLS" : "plain TCP, token handshake", settings.datadir());
    }

    /** The bound address (useful when the settings asked for port 0). */
    public String address() {
        return server.getInetAddress().getHostAddress() + ":" + server.getLocalPort();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** The joiner currently being served, if a clone is streaming. */
    public java.util.Optional<String> servingJoiner() {
        return java.util.Optional.ofNullable(serving.get());
    }

    /** How many backups this donor has started for authenticated joiners. */
    public long clonesStarted() {
        return started.get();
    }

    /** How many of them ended with a verified trailer sent. */
    public long clonesCompleted() {
        return completed.get();
    }

    @Override
    public void close() throws IOException {
        if (state.getAndSet(State.CLOSED) != State.STARTED) {
            return;
        }
        server.close();
        deadlines.shutdownNow();
        ToolProcess backup = running.get();
        if (backup != null) {
            backup.close();
        }
        // Sessions end quickly once their backup is killed; waiting lets each remove its work directory first.
        for (Thread session : sessions) {
            try {
                if (!session.join(SESSION_STOP_WAIT)) {
                    log.warn("clone donor on {}: session {} still running after {} s; not waiting longer", settings.listen(),
                            session.getName(), SESSION_STOP_WAIT.toSeconds());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        log.info("clone donor on {} stopped", settings.listen());
    }

    private void acceptLoop() {
        while (state.get() == State.STARTED) {
            try {
                Socket socket = server.accept();
                if (!handshakes.tryAcquire()) {
                    String peer = socket.getInetAddress().getHostAddress() + ":" + socket.getPort();
                    socket.close();
                    long held = strangerWarnings.admit();
                    if (held >= 0) {
                        log.warn("clone donor on {}: closed the connection from {} at once: {} handshakes are already under way"
                                + " (a clone needs one){}", settings.listen(), peer, MAX_HANDSHAKES, WarningRateLimit.heldBack(held));
                    }
                    continue;
                }
                AtomicBoolean handshaking = new AtomicBoolean(true);
                Runnable endHandshake = () -> {
                    if (handshaking.compareAndSet(true, false)) {
                        handshakes.release();
                    }
                };
                Thread session = Thread.ofVirtual().name("clone-donor-" + socket.getRemoteSocketAddress()).unstarted(() -> {
                    try {
                        serve(socket, endHandshake);
                    } finally {
                        endHandshake.run();
                        sessions.remove(Thread.currentThread());
                    }
                });
                sessions.add(session);
                session.start();
            } catch (IOException e) {
                if (state.get() == State.STARTED) {
                    log.warn("clone donor on {}: accept failed ({}); continuing", settings.listen(), e.toString());
                }
            }
        }
    }

    /** Serves one connection; {@code endHandshake} frees its handshake slot (see {@link #MAX_HANDSHAKES}). */
    private void serve(Socket socket, Runnable endHandshake) {
        String joiner = socket.getInetAddress().getHostAddress() + ":" + socket.getPort();
        try (socket) {
            socket.setSoTimeout(HANDSHAKE_TIMEOUT_MS);
            socket.setSendBufferSize(SOCKET_BUFFER);
            socket.setKeepAlive(true);
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
            socket.setTcpNoDelay(true); // each frame goes out in one write; Nagle would only delay the small control frames
            // Control frames are buffered; a DATA frame (header and payload in one array) is larger than the buffer, so it bypasses it.
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), CONTROL_BUFFER));
            boolean authenticated;
            ScheduledFuture<?> deadline = deadlines.schedule(() -> closeQuietly(socket), HANDSHAKE_DEADLINE_MS, TimeUnit.MILLISECONDS);
            try {
                authenticated = authenticate(in, out, joiner);
            } catch (IOException e) {
                String why = !deadline.cancel(false) ? "its handshake did not finish within " + HANDSHAKE_DEADLINE_MS + " ms"
                        : e instanceof java.io.EOFException ? "it hung up during the handshake (a joiner with another token does that)"
                        : "its handshake failed: " + e.getMessage();
                warnAboutStranger("clone donor on {}: closed the connection from {}: {}; nothing was streamed", settings.listen(), joiner, why);
                return;
            } finally {
                deadline.cancel(false);
                endHandshake.run();
            }
            if (!authenticated) {
                return;
            }
            if (!serving.compareAndSet(null, joiner)) {
                String other = serving.get();
                log.warn("clone refused for joiner {}: already streaming a clone to {}", joiner, other);
                CloneProtocol.writeError(out, CloneException.Reason.BUSY, "donor " + address()
                        + " is already streaming a clone to " + other + "; it serves one at a time: use another donor or retry later");
                return;
            }
            try {
                stream(out, joiner);
            } finally {
                serving.set(null);
                afterClone.run();
            }
        } catch (IOException e) {
            log.warn("clone for joiner {} ended: {}", joiner, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // closing to cut a handshake short: nothing to do if it fails
        }
    }

    private void warnAboutStranger(String format, Object... args) {
        long held = strangerWarnings.admit();
        if (held >= 0) {
            log.warn(format + WarningRateLimit.heldBack(held), args);
        }
    }

    private boolean authenticate(DataInputStream in, DataOutputStream out, String joiner) throws IOException {
        CloneProtocol.readMagic(in, "joiner " + joiner);
        byte[] joinerNonce = new byte[CloneProtocol.NONCE_BYTES];
        in.readFully(joinerNonce);
        byte[] donorNonce = CloneProtocol.nonce();
        out.write(CloneProtocol.MAGIC);
        out.write(donorNonce);
        out.flush();
        byte[] joinerProof = new byte[CloneProtocol.MAC_BYTES];
        in.readFully(joinerProof);
        if (!CloneProtocol.sameProof(CloneProtocol.proof(settings.token(), "joiner", donorNonce, joinerNonce), joinerProof)) {
            log.warn("clone refused for joiner {}: it failed to prove the clone token; nothing was streamed", joiner);
            CloneProtocol.writeError(out, CloneException.Reason.AUTHENTICATION,
                    "authentication failed: this joiner's clone token differs from donor " + address() + "'s");
            return false;
        }
        // Only a joiner that proved the token gets the donor's proof: no material for guessing it offline.
        byte[] donorProof = CloneProtocol.proof(settings.token(), "donor", joinerNonce, donorNonce);
        CloneProtocol.writeFrame(out, CloneProtocol.PROOF, donorProof, 0, donorProof.length);
        out.flush();
        return true;
    }

    private void stream(DataOutputStream out, String joiner) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(Files.createDirectories(settings.workDir()), "clone-");
        try {
            Path options = writeOptionsFile(dir);
            Path target = Files.createDirectory(dir.resolve("target"));
            OptionalLong expected = estimateSize();
            byte[] description = ("mariabackup of " + settings.datadir()).getBytes(StandardCharsets.UTF_8);
            ByteBuffer header = ByteBuffer.allocate(8 + description.length).putLong(expected.orElse(-1)).put(description);
            CloneProtocol.writeFrame(out, CloneProtocol.HEADER, header.array(), 0, header.capacity());
            out.flush();
            List<String> command = List.of(settings.mariabackup(), "--defaults-extra-file=" + options, "--backup",
                    "--stream=xbstream", "--target-dir=" + target, "--datadir=" + settings.datadir(),
                    "--parallel=" + settings.parallel());
            started.incrementAndGet();
            log.info("streaming a clone of {} to joiner {}", settings.datadir(), joiner);
            ToolProcess launched;
            try {
                launched = ToolProcess.start("mariabackup→" + joiner, command, dir);
            } catch (IOException e) {
                log.warn("clone to joiner {} failed: cannot run {}: {}", joiner, settings.mariabackup(), e.getMessage());
                CloneProtocol.writeError(out, CloneException.Reason.BACKUP_FAILED, "cannot run " + settings.mariabackup()
                        + " on the donor (is mariadb-backup installed?): " + e.getMessage());
                return;
            }
            try (ToolProcess backup = launched) {
                running.set(backup);
                TransferProgress progress = new TransferProgress(log, "clone to " + joiner, expected, settings.progressInterval());
                CRC32C crc = new CRC32C();
                copyFrames(backup.stdout(), out, crc, progress, joiner);
                int code = backup.waitFor();
                if (code != 0 || state.get() != State.STARTED) {
                    String why = code != 0 ? backup.failure(code) : "the donor is shutting down";
                    log.warn("clone to joiner {} failed after {}: {}", joiner, progress.describe(), why);
                    CloneProtocol.writeError(out, CloneException.Reason.BACKUP_FAILED, "mariabackup failed on the donor: " + why);
                    return;
                }
                ByteBuffer trailer = ByteBuffer.allocate(CloneProtocol.TRAILER_BYTES).putLong(progress.bytes()).putInt((int) crc.getValue());
                CloneProtocol.writeFrame(out, CloneProtocol.END, trailer.array(), 0, trailer.capacity());
                out.flush();
                completed.incrementAndGet();
                log.info("clone to joiner {} complete: {}; trailer sent", joiner, progress.summary());
            } finally {
                running.set(null);
            }
        } finally {
            deleteTree(dir);
        }
    }

    /**
     * Relays mariabackup's stdout as DATA frames. Each frame collects what the pipe holds (up to
     * {@link CloneProtocol#MAX_DATA}) behind a 5-byte header in the same array, and goes out in one write:
     * no copy into a send buffer, few syscalls.
     */
    private static void copyFrames(InputStream from, DataOutputStream out, CRC32C crc, TransferProgress progress,
                                   String joiner) throws IOException {
        int head = CloneProtocol.FRAME_HEADER_BYTES;
        byte[] frame = new byte[head + CloneProtocol.MAX_DATA];
        boolean eof = false;
        while (!eof) {
            int n = 0;
            do {
                int r = from.read(frame, head + n, CloneProtocol.MAX_DATA - n);
                if (r < 0) {
                    eof = true;
                } else {
                    n += r;
                }
            } while (!eof && n < CloneProtocol.MAX_DATA && (n == 0 || from.available() > 0));
            if (n == 0) {
                continue;
            }
            crc.update(frame, head, n);
            CloneProtocol.putDataHeader(frame, n);
            try {
                out.write(frame, 0, head + n);
                out.flush();
            } catch (SocketException e) {
                throw new IOException("joiner " + joiner + " went away after " + progress.describe()
                        + " (" + e.getMessage() + "); stopping mariabackup", e);
            }
            progress.add(n);
        }
    }

    /** mariabackup's connection options, in a file only we can read: passwords never go on a command line. */
    private Path writeOptionsFile(Path dir) throws IOException {
        Path file = dir.resolve("backup.cnf");
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        String text = "[mariabackup]\n"
                + "user=" + settings.backupUser().user() + "\n"
                + "password=" + quote(settings.backupUser().password().reveal()) + "\n"
                + "host=" + settings.serverHost() + "\n"
                + "port=" + settings.serverPort() + "\n"
                + settings.tlsCa().map(ca -> "ssl-ca=" + quote(ca.toString()) + "\nssl-verify-server-cert\n").orElse("");
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return file;
    }

    /** Option-file quoting: inside double quotes, backslash escapes backslash and quote. */
    static String quote(String value) {
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private OptionalLong estimateSize() {
        try (Stream<Path> files = Files.walk(settings.datadir())) {
            return OptionalLong.of(files.filter(Files::isRegularFile)
                    .filter(p -> !NOT_COPIED.matcher(p.getFileName().toString()).matches())
                    .mapToLong(p -> {
                        try {
                            return Files.size(p);
                        } catch (IOException e) {
                            return 0; // a table dropped while we walk: the estimate only feeds the ETA
                        }
                    }).sum());
        } catch (IOException | UncheckedIOException e) {
            log.debug("cannot estimate the size of {}: {}", settings.datadir(), e.toString());
            return OptionalLong.empty();
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            log.warn("could not delete clone work directory {}: {}", root, e.toString());
        }
    }
}
