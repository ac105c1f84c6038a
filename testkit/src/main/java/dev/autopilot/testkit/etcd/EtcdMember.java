package dev.autopilot.testkit.etcd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.autopilot.testkit.tls.TestCertificates;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One etcd process of an {@link EtcdCluster}: its name, loopback address, ports and data directory. Thread-safe;
 * {@link #kill()} SIGKILLs the process (a crash: no graceful leader transfer).
 */
public final class EtcdMember {

    private final String name;
    private final String address;
    private final List<String> aliases;
    private final int clientPort;
    private final int peerPort;
    private final Path dataDir;
    private final TestCertificates tls;
    private Process process;

    EtcdMember(String name, String address, List<String> aliases, int clientPort, int peerPort, Path dataDir, TestCertificates tls) {
        this.tls = tls;
        this.name = name;
        this.address = address;
        this.aliases = aliases;
        this.clientPort = clientPort;
        this.peerPort = peerPort;
        this.dataDir = dataDir;
    }

    /** Member name ({@code m1}, {@code m2}, ...). */
    public String name() {
        return name;
    }

    /** Loopback address the member listens on. */
    public String address() {
        return address;
    }

    /** Extra client addresses (see {@link EtcdCluster.Builder#clientAliases}). */
    public List<String> aliases() {
        return aliases;
    }

    /** Client port. */
    public int clientPort() {
        return clientPort;
    }

    /** {@code http://address:clientPort}, or {@code https://} when the cluster uses TLS. */
    public URI clientUri() {
        return URI.create(scheme() + "://" + address + ":" + clientPort);
    }

    URI peerUri() {
        return URI.create(scheme() + "://" + address + ":" + peerPort);
    }

    private String scheme() {
        return tls == null ? "http" : "https";
    }

    /** The member's log file (stdout and stderr of etcd). */
    public Path logFile() {
        return dataDir.resolveSibling(name + ".log");
    }

    /** Whether the process is alive. */
    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** The process id, while running. */
    public synchronized long pid() {
        if (process == null) {
            throw new IllegalStateException("etcd member " + name + " is not running");
        }
        return process.pid();
    }

    synchronized void start(String initialCluster, String state) {
        if (isRunning()) {
            throw new IllegalStateException("etcd member " + name + " is already running");
        }
        List<String> clientUrls = new ArrayList<>();
        clientUrls.add(clientUri().toString());
        aliases.forEach(a -> clientUrls.add(scheme() + "://" + a + ":" + clientPort));
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/etcd",
                "--name", name,
                "--data-dir", dataDir.toString(),
                "--listen-client-urls", String.join(",", clientUrls),
                "--advertise-client-urls", clientUri().toString(),
                "--listen-peer-urls", peerUri().toString(),
                "--initial-advertise-peer-urls", peerUri().toString(),
                "--initial-cluster", initialCluster,
                "--initial-cluster-state", state,
                "--initial-cluster-token", "autopilot-test",
                "--snapshot-count", "2000",
                "--quota-backend-bytes", String.valueOf(64L << 20),
                "--log-level", "warn",
                "--logger", "zap"));
        if (tls != null) {
            // TLS on both sides, and a client certificate signed by the CA required of every client and peer.
            cmd.addAll(List.of("--cert-file", tls.certFile(address).toString(), "--key-file", tls.keyFile(address).toString(),
                    "--trusted-ca-file", tls.caFile().toString(), "--client-cert-auth",
                    "--peer-cert-file", tls.certFile(address).toString(), "--peer-key-file", tls.keyFile(address).toString(),
                    "--peer-trusted-ca-file", tls.caFile().toString(), "--peer-client-cert-auth"));
        }
        try {
            Files.createDirectories(dataDir.getParent());
            process = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start etcd member " + name, e);
        }
    }

    synchronized void kill() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void signal(String signal) {
        long pid = pid();
        try {
            Process p = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
            if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + pid + " failed for " + this);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    void requirePortsFree() {
        for (int port : new int[] {clientPort, peerPort}) {
            if (EtcdCluster.portOpen(address, port)) {
                throw new IllegalStateException("port " + address + ":" + port + " is already in use (a leftover etcd from an "
                        + "earlier run?); find it with: ss -ltnp 'sport = :" + port + "'");
            }
        }
    }

    String logTail() {
        try (Stream<String> lines = Files.lines(logFile())) {
            List<String> all = lines.toList();
            return all.subList(Math.max(0, all.size() - 15), all.size()).stream().collect(Collectors.joining("\n"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public String toString() {
        return "etcd " + name + "@" + address;
    }
}
