package dev.autopilot.backup.clone;

import dev.autopilot.backup.restore.ProvisionSource;
import dev.autopilot.backup.restore.ProvisionStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * A copy streamed live from a {@link CloneDonor} on a healthy peer. {@link #open()} connects,
 * authenticates both ways, and returns once the donor has accepted the clone (its header arrived), so
 * a refusal (bad token, donor busy) surfaces as a {@link CloneException} before anything is written
 * locally; a backup that fails later surfaces from {@code read} as the donor's error.
 *
 * @param donor          the donor's clone address (cluster-private network)
 * @param token          the shared clone token
 * @param connectTimeout how long to wait for the TCP connection
 * @param idleTimeout    how long the stream may be silent (mariabackup waiting for its backup locks) before
 *                       the joiner gives up
 * @param tls            the stream runs over TLS with this context: the donor's certificate is verified against its
 *                       trusted CA and must name the donor's address, and the context's own certificate is presented
 *                       (the donor requires one); empty: plain TCP
 */
public record LiveCloneSource(InetSocketAddress donor, CloneToken token, Duration connectTimeout, Duration idleTimeout,
                              Optional<SSLContext> tls) implements ProvisionSource {

    private static final Logger log = LoggerFactory.getLogger(LiveCloneSource.class);

    public LiveCloneSource {
        Objects.requireNonNull(donor, "donor");
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(tls, "tls");
        if (connectTimeout.isNegative() || connectTimeout.isZero() || idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("clone timeouts must be positive (connect " + connectTimeout + ", idle " + idleTimeout + ")");
        }
    }

    /** Connect within 10 s; tolerate 5 minutes of silence (a long-running statement can delay the backup locks). */
    public static LiveCloneSource of(InetSocketAddress donor, CloneToken token) {
        return new LiveCloneSource(donor, token, Duration.ofSeconds(10), Duration.ofMinutes(5), Optional.empty());
    }

    /** The same source over TLS with {@code context} (unchanged when empty). */
    public LiveCloneSource withTls(Optional<SSLContext> context) {
        return new LiveCloneSource(donor, token, connectTimeout, idleTimeout, context);
    }

    @Override
    public ProvisionStream open() throws IOException {
        String peer = donor.getHostString() + ":" + donor.getPort();
        Socket socket = new Socket();
        try {
            socket.setReceiveBufferSize(4 << 20);
            socket.connect(donor, (int) connectTimeout.toMillis());
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()));
            if (tls.isPresent()) {
                socket = overTls(socket, peer);
            }
            socket.setTcpNoDelay(true);
            // A small buffer for headers: reads of a frame's payload that are larger than it bypass it (no extra copy).
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 64 * 1024));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
            authenticate(in, out, peer);
            CloneStreamReader reader = new CloneStreamReader(in, peer, socket);
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, idleTimeout.toMillis()));
            log.info("donor {} ({}) accepted the clone; expected size {}", peer, reader.donorDescription(),
                    reader.expectedBytes().isPresent() ? reader.expectedBytes().getAsLong() + " bytes" : "unknown");
            return new ProvisionStream(reader, reader.expectedBytes(), describe());
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** Wraps the connected socket in TLS and runs the handshake, verifying that the donor's certificate names it. */
    private Socket overTls(Socket plain, String peer) throws IOException {
        SSLSocket socket = (SSLSocket) tls.get().getSocketFactory().createSocket(plain, donor.getHostString(), donor.getPort(), true);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the donor's address
        socket.setSSLParameters(parameters);
        try {
            socket.startHandshake();
        } catch (SSLException e) {
            socket.close();
            throw new CloneException(CloneException.Reason.AUTHENTICATION, "donor " + peer + " failed the TLS handshake ("
                    + e.getMessage() + "): its certificate must be signed by mysql.tls.caFile and name its address, and it must"
                    + " trust ours", e);
        }
        return socket;
    }

    private void authenticate(DataInputStream in, DataOutputStream out, String peer) throws IOException {
        byte[] joinerNonce = CloneProtocol.nonce();
        out.write(CloneProtocol.MAGIC);
        out.write(joinerNonce);
        out.flush();
        byte[] donorNonce = new byte[CloneProtocol.NONCE_BYTES];
        try {
            CloneProtocol.readMagic(in, "donor " + peer);
            in.readFully(donorNonce);
            out.write(CloneProtocol.proof(token, "joiner", donorNonce, joinerNonce));
            out.flush();
            byte type = in.readByte();
            int length = in.readInt();
            if (length < 0 || length > CloneProtocol.MAX_CONTROL) {
                throw new CloneException(CloneException.Reason.PROTOCOL, "donor " + peer + " sent a " + length + "-byte control frame");
            }
            byte[] payload = in.readNBytes(length);
            if (type == CloneProtocol.ERROR) {
                throw CloneProtocol.readError(payload, peer);
            }
            if (type != CloneProtocol.PROOF
                    || !CloneProtocol.sameProof(CloneProtocol.proof(token, "donor", joinerNonce, donorNonce), payload)) {
                throw new CloneException(CloneException.Reason.AUTHENTICATION, "donor " + peer
                        + " could not prove it holds the clone token: the tokens differ between the nodes, or this is not our donor");
            }
        } catch (EOFException e) {
            throw new CloneException(CloneException.Reason.PROTOCOL, "donor " + peer + " closed the connection during the handshake", e);
        }
    }

    @Override
    public String describe() {
        return "live clone from " + donor.getHostString() + ":" + donor.getPort();
    }
}
