package dev.autopilot.backup.clone;

import dev.autopilot.mysql.auth.Credentials;
import dev.autopilot.mysql.auth.Secret;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Strangers at a real donor's port (127.0.42.1) before any backup runs: a peer that trickles its handshake a byte at a
 * time is cut off at the overall deadline, and connections beyond the handshake cap are closed at once. The real
 * handshake and stream are exercised by LiveCloneTest.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class CloneDonorHandshakeTest {
    private CloneDonor donor;

    @BeforeEach
    void start(@TempDir Path dir) throws IOException {
        donor = new CloneDonor(DonorSettings.of(new InetSocketAddress("127.0.42.1", 0),
                CloneToken.of(Secret.of("clone-token-for-tests-0123456789")), "127.0.42.1", 3306,
                Credentials.of("backup", "unused"), dir.resolve("data"), dir.resolve("work")));
        donor.start();
    }

    @AfterEach
    void stop() throws IOException {
        donor.close();
    }

    @Test
    void aPeerTricklingItsHandshakeIsCutOffAtTheDeadline() throws IOException {
        // A well-formed start (the magic, then a nonce), one byte every 2 s: each read on the donor succeeds well within
        // its per-read timeout, so only an overall deadline ends it; complete, it would take 80 s.
        byte[] handshake = new byte[CloneProtocol.MAGIC.length + CloneProtocol.NONCE_BYTES];
        System.arraycopy(CloneProtocol.MAGIC, 0, handshake, 0, CloneProtocol.MAGIC.length);
        try (Socket peer = connect()) {
            long start = System.nanoTime();
            peer.setSoTimeout(2_000);
            InputStream in = peer.getInputStream();
            boolean closed = false;
            for (int sent = 0; !closed && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(45); sent++) {
                try {
                    peer.getOutputStream().write(handshake[Math.min(sent, handshake.length - 1)]);
                    closed = in.read() < 0;
                } catch (SocketTimeoutException stillOpen) {
                    // the donor is still waiting: send the next byte
                } catch (SocketException reset) {
                    closed = true;
                }
            }
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            assertThat(closed).as("closed by the donor within 45 s").isTrue();
            assertThat(seconds).isLessThanOrEqualTo(CloneDonor.HANDSHAKE_DEADLINE_MS / 1000 + 4);
        }
    }

    @Test
    void connectionsBeyondTheHandshakeCapAreClosedAtOnce() throws IOException {
        List<Socket> silent = new ArrayList<>();
        try {
            for (int i = 0; i < CloneDonor.MAX_HANDSHAKES; i++) {
                silent.add(connect());
            }
            try (Socket extra = connect()) {
                extra.setSoTimeout(3_000);
                int read;
                try {
                    read = extra.getInputStream().read();
                } catch (SocketException reset) {
                    read = -1;
                }
                assertThat(read).as("closed at once, not after the handshake deadline").isEqualTo(-1);
            }
        } finally {
            for (Socket s : silent) {
                s.close();
            }
        }
    }

    private Socket connect() throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.42.1", donor.port()), (int) Duration.ofSeconds(5).toMillis());
        return s;
    }
}
