package dev.autopilot.testkit.etcd;

import dev.autopilot.testkit.tls.TestCertificates;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real etcd cluster of N members started from Debian's {@code /usr/bin/etcd} (package etcd-server), one member
 * per loopback address chosen by the caller (each test owns a 127.0.X.0/24 subnet), data directories in a
 * temporary directory.
 *
 * <p>JUnit 5 usage: create it in {@code @BeforeAll} (or as a {@code @AutoClose static} field) and close it in
 * {@code @AfterAll}; {@link #close()} kills every member and deletes the data. A JVM shutdown hook also kills the
 * members if the test JVM exits without closing.
 *
 * <pre>{@code
 * try (EtcdCluster etcd = EtcdCluster.builder().addresses("127.0.2.1", "127.0.2.2", "127.0.2.3").start()) {
 *     List<URI> endpoints = etcd.endpoints();
 *     etcd.kill(0);      // SIGKILL member 0
 *     etcd.restart(0);   // same data directory, waits until it serves again
 * }
 * }</pre>
 *
 * <p>Timing: etcd's defaults (heartbeat 100 ms, election 1000 ms) are kept so lease TTLs of 2 s and more behave as
 * in production; snapshots are kept small so several clusters fit on a 2-core machine.
 */
public final class EtcdCluster implements AutoCloseable {

    private static final String ETCD = "/usr/bin/etcd";

    private final List<EtcdMember> members;
    private final Path dataRoot;
    private final boolean ownsDataRoot;
    private final Duration startupTimeout;
    private final Thread shutdownHook;
    private final TestCertificates tls;

    private EtcdCluster(Builder b) throws IOException {
        this.ownsDataRoot = b.dataRoot == null;
        this.dataRoot = b.dataRoot != null ? Files.createDirectories(b.dataRoot) : Files.createTempDirectory("etcd-cluster-");
        this.startupTimeout = b.startupTimeout;
        this.tls = b.tls;
        List<EtcdMember> list = new ArrayList<>();
        for (int i = 0; i < b.addresses.size(); i++) {
            String address = b.addresses.get(i);
            List<String> aliases = i < b.clientAliases.size() ? b.clientAliases.get(i) : List.of();
            list.add(new EtcdMember("m" + (i + 1), address, aliases, b.clientPort, b.peerPort,
                    dataRoot.resolve("m" + (i + 1)), b.tls));
        }
        this.members = List.copyOf(list);
        this.shutdownHook = new Thread(this::killAll, "etcd-cluster-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** A builder; at least one address is required. */
    public static Builder builder() {
        return new Builder();
    }

    /** Client endpoints ({@code http://address:port}) of every member, in member order. */
    public List<URI> endpoints() {
        return members.stream().map(EtcdMember::clientUri).toList();
    }

    /** Client endpoints through each member's alias address (see {@link Builder#clientAliases}). */
    public List<URI> aliasEndpoints() {
        String scheme = tls == null ? "http" : "https";
        return members.stream().flatMap(m -> m.aliases().stream().map(a -> URI.create(scheme + "://" + a + ":" + m.clientPort())))
                .toList();
    }

    /**
     * Turns authentication on: user {@code root} (role root) with {@code rootPassword}, and {@code user} with
     * {@code password} and a role that may read and write only keys under {@code prefix} (least privilege, as an
     * operator would set it up for the agents). Runs Debian's {@code etcdctl}, through TLS when the cluster has it.
     */
    public void enableAuth(String rootPassword, String user, String password, String prefix) {
        etcdctl("user", "add", "root:" + rootPassword, "--interactive=false");
        etcdctl("user", "grant-role", "root", "root");
        etcdctl("role", "add", user);
        etcdctl("role", "grant-permission", user, "--prefix=true", "readwrite", prefix);
        etcdctl("user", "add", user + ":" + password, "--interactive=false");
        etcdctl("user", "grant-role", user, user);
        etcdctl("auth", "enable");
    }

    private void etcdctl(String... args) {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/etcdctl", "--endpoints", endpointsCsv(), "--dial-timeout", "5s"));
        if (tls != null) {
            String client = members.getFirst().address();
            cmd.addAll(List.of("--cacert", tls.caFile().toString(), "--cert", tls.certFile(client).toString(),
                    "--key", tls.keyFile(client).toString()));
        }
        cmd.addAll(List.of(args));
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().put("ETCDCTL_API", "3");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("etcdctl " + String.join(" ", args) + " failed: " + out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run etcdctl (apt-get install etcd-client)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Comma-separated endpoints, as etcdctl's --endpoints wants them. */
    public String endpointsCsv() {
        return endpoints().stream().map(URI::toString).collect(Collectors.joining(","));
    }

    /** The members, in the order of the addresses given to the builder. */
    public List<EtcdMember> members() {
        return members;
    }

    /** Member {@code index} (0-based). */
    public EtcdMember member(int index) {
        return members.get(index);
    }

    /** SIGKILLs member {@code index}; its data directory is kept for {@link #restart}. */
    public void kill(int index) {
        member(index).kill();
    }

    /** SIGSTOPs member {@code index} (a paused process: connections stay open, nothing answers). */
    public void pause(int index) {
        member(index).signal("STOP");
    }

    /** SIGCONTs a member paused by {@link #pause(int)}. */
    public void resume(int index) {
        member(index).signal("CONT");
    }

    /**
     * Starts the given members again from their data directories and waits until they report healthy (a member is
     * healthy only once the cluster has a leader, so restart together the members needed for quorum).
     */
    public void restart(int... indexes) {
        List<EtcdMember> which = new ArrayList<>();
        for (int i : indexes) {
            EtcdMember m = member(i);
            m.start(initialCluster(), "existing");
            which.add(m);
        }
        awaitHealthy(which);
    }

    /** SIGKILLs several members at once (e.g. all of them: the store is unreachable). */
    public void kill(int first, int... more) {
        kill(first);
        for (int i : more) {
            kill(i);
        }
    }

    /** Waits until every running member answers {@code /health} with {@code "health":"true"}. */
    public void awaitHealthy() {
        awaitHealthy(members.stream().filter(EtcdMember::isRunning).toList());
    }

    private EtcdCluster startAll() {
        for (EtcdMember m : members) {
            m.requirePortsFree();
        }
        for (EtcdMember m : members) {
            m.start(initialCluster(), "new");
        }
        awaitHealthy(members);
        return this;
    }

    private String initialCluster() {
        return members.stream().map(m -> m.name() + "=" + m.peerUri()).collect(Collectors.joining(","));
    }

    private void awaitHealthy(List<EtcdMember> which) {
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500));
        if (tls != null) {
            builder.sslContext(tls.clientContext(members.getFirst().address()));
        }
        HttpClient http = builder.build();
        long deadline = System.nanoTime() + startupTimeout.toNanos();
        for (EtcdMember m : which) {
            while (!healthy(http, m)) {
                if (!m.isRunning()) {
                    throw new IllegalStateException("etcd member " + m.name() + " at " + m.address() + " exited during start; log: "
                            + m.logFile() + "\n" + m.logTail());
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("etcd member " + m.name() + " at " + m.address() + " not healthy after "
                            + startupTimeout + "; log: " + m.logFile() + "\n" + m.logTail());
                }
                sleepMillis(100);
            }
        }
    }

    private static boolean healthy(HttpClient http, EtcdMember m) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(m.clientUri().resolve("/health"))
                    .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 && r.body().replace(" ", "").contains("\"health\":\"true\"");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for etcd", e);
        }
    }

    private static void sleepMillis(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private void killAll() {
        members.forEach(EtcdMember::kill);
    }

    /** Kills every member and deletes the data directories (when the harness created them). */
    @Override
    public void close() {
        killAll();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // the hook is running or ran; nothing to remove
        }
        if (ownsDataRoot) {
            try (Stream<Path> walk = Files.walk(dataRoot)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                throw new UncheckedIOException("could not delete etcd data under " + dataRoot, e);
            }
        }
    }

    /** Builder for {@link EtcdCluster}. */
    public static final class Builder {
        private List<String> addresses = List.of();
        private List<List<String>> clientAliases = List.of();
        private int clientPort = 2379;
        private int peerPort = 2380;
        private Path dataRoot;
        private Duration startupTimeout = Duration.ofSeconds(30);
        private TestCertificates tls;

        /** One member per loopback address, e.g. {@code 127.0.2.1}; use only your own subnet. */
        public Builder addresses(String... addresses) {
            return addresses(List.of(addresses));
        }

        /** One member per loopback address. */
        public Builder addresses(List<String> addresses) {
            this.addresses = List.copyOf(addresses);
            return this;
        }

        /**
         * A second client address per member (same order as the addresses). A client that connects through the
         * aliases can be cut off with iptables while other clients keep their path: on loopback every connection's
         * source address is 127.0.0.1, so the destination address is what tells two clients apart.
         */
        public Builder clientAliases(String... aliases) {
            this.clientAliases = Stream.of(aliases).map(List::of).toList();
            return this;
        }

        /**
         * Several extra client addresses per member (outer list in member order), e.g. one per client, so that each
         * client's path to each member can be cut on its own (see {@link #clientAliases(String...)}).
         */
        public Builder clientAliasesPerMember(List<List<String>> aliases) {
            this.clientAliases = aliases.stream().map(List::copyOf).toList();
            return this;
        }

        /** Client port on every address (default 2379). */
        public Builder clientPort(int port) {
            this.clientPort = port;
            return this;
        }

        /** Peer port on every address (default 2380). */
        public Builder peerPort(int port) {
            this.peerPort = port;
            return this;
        }

        /** Where the member data directories go (default: a new temporary directory, deleted on close). */
        public Builder dataRoot(Path dataRoot) {
            this.dataRoot = dataRoot;
            return this;
        }

        /**
         * TLS for clients and peers with certificates from {@code certs} (one per member address, which must exist),
         * and {@code --client-cert-auth}: every client must present a certificate the CA signed.
         */
        public Builder tls(TestCertificates certs) {
            this.tls = Objects.requireNonNull(certs);
            return this;
        }

        /** How long {@link #start()} and {@link EtcdCluster#restart} wait for health (default 30 s). */
        public Builder startupTimeout(Duration timeout) {
            this.startupTimeout = Objects.requireNonNull(timeout);
            return this;
        }

        /** Starts every member and waits until all report healthy; kills them all if that fails. */
        public EtcdCluster start() {
            if (addresses.isEmpty()) {
                throw new IllegalArgumentException("EtcdCluster.addresses: at least one loopback address is required");
            }
            if (!Files.isExecutable(Path.of(ETCD))) {
                throw new IllegalStateException(ETCD + " not found: apt-get install etcd-server");
            }
            EtcdCluster cluster;
            try {
                cluster = new EtcdCluster(this);
            } catch (IOException e) {
                throw new UncheckedIOException("could not create etcd data directory", e);
            }
            try {
                return cluster.startAll();
            } catch (RuntimeException e) {
                cluster.close();
                throw e;
            }
        }
    }

    static boolean portOpen(String address, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
