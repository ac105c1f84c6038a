package dev.autopilot.testkit.s3;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * A real s3proxy (Maven Central {@code org.gaul:s3proxy}) in its own JVM, listening on one loopback address.
 *
 * <p>It runs as a separate process so a test can stop it (an object-store outage), start it again on the same data,
 * and so s3proxy's jetty/jclouds/guava never share a class path with the code under test. Its class path is the
 * resource {@code s3proxy.classpath}, written by testkit's build (maven-dependency-plugin).
 *
 * <p>With {@link #filesystem} the blobs live in a directory (a bucket is a sub-directory, see
 * {@link #createBucket}) and survive a restart; with {@link #inMemory} they live in the child's memory (jclouds
 * "transient") and buckets must be created through the S3 API. Credentials are written to a properties file, never
 * onto the command line. The child is killed on {@link #stop}, {@link #close} and JVM exit.
 */
public final class S3ProxyServer implements AutoCloseable {

    /** The access key id every harness instance accepts. */
    public static final String ACCESS_KEY_ID = "autopilot-test";
    private static final Duration START_DEADLINE = Duration.ofSeconds(60);

    private final String address;
    private final int port;
    private final Path workDir;
    private final Path blobDir; // null: transient (in-memory) blobstore
    private final String secretKey;
    private Process process;
    private Thread shutdownHook;

    private S3ProxyServer(String address, int port, Path workDir, Path blobDir) {
        this.address = address;
        this.port = port;
        this.workDir = workDir;
        this.blobDir = blobDir;
        this.secretKey = "secret-" + Long.toHexString(System.nanoTime());
    }

    /** A server on {@code address:port} whose blobs live under {@code workDir/blobs} (kept across restarts). */
    public static S3ProxyServer filesystem(String address, int port, Path workDir) {
        return new S3ProxyServer(address, port, workDir, workDir.resolve("blobs"));
    }

    /** A server on {@code address:port} whose blobs live in its memory (lost on stop). */
    public static S3ProxyServer inMemory(String address, int port, Path workDir) {
        return new S3ProxyServer(address, port, workDir, null);
    }

    /** Starts the child and waits until it accepts connections; returns this. */
    public synchronized S3ProxyServer start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("s3proxy on " + endpoint() + " is already running");
        }
        try {
            Files.createDirectories(workDir);
            if (blobDir != null) {
                Files.createDirectories(blobDir);
            }
            Path config = writeConfig();
            Path logConfig = workDir.resolve("s3proxy-logback.xml");
            try (InputStream in = S3ProxyServer.class.getResourceAsStream("s3proxy-logback.xml")) {
                Files.write(logConfig, in.readAllBytes());
            }
            List<String> cmd = new ArrayList<>();
            // Under a shell that kills s3proxy when this JVM's end of its stdin pipe closes: a test JVM killed
            // with SIGKILL (no shutdown hooks) still leaves no s3proxy behind holding the address.
            cmd.addAll(List.of("/bin/sh", "-c",
                    "exec 3<&0; \"$@\" </dev/null 3<&- & pid=$!;"
                            + " (cat <&3 >/dev/null; kill -9 $pid 2>/dev/null) & exec 3<&-; wait $pid", "s3proxy"));
            cmd.add(ProcessHandle.current().info().command()
                    .orElseThrow(() -> new IllegalStateException("cannot tell which java binary runs this JVM")));
            cmd.addAll(List.of("-Xmx256m", "-XX:+UseSerialGC", "-Dlogback.configurationFile=" + logConfig,
                    "-cp", classPath(),
                    "org.gaul.s3proxy.Main", "--properties", config.toString()));
            Path log = workDir.resolve("s3proxy.log");
            process = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            Process started = process;
            shutdownHook = Thread.ofPlatform().name("s3proxy-stop-" + address).unstarted(() -> kill(started));
            Runtime.getRuntime().addShutdownHook(shutdownHook);
            await("s3proxy listening on " + endpoint() + " (log: " + log + ")")
                    .atMost(START_DEADLINE).pollInterval(Duration.ofMillis(100))
                    .failFast("s3proxy exited, see " + log, () -> !started.isAlive())
                    .until(this::accepting);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start s3proxy on " + endpoint(), e);
        }
    }

    /** Kills the child (and anything it started) and waits for it to exit; the blobs directory is kept. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        kill(process);
        process = null;
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or about to: nothing left to remove
        }
    }

    /** Stops, then starts again on the same address and data. */
    public synchronized void restart() {
        stop();
        start();
    }

    /** Creates a bucket; only for {@link #filesystem} servers, where a bucket is a directory of the blobstore. */
    public Path createBucket(String bucket) {
        if (blobDir == null) {
            throw new IllegalStateException("in-memory s3proxy: create buckets through the S3 API");
        }
        try {
            return Files.createDirectories(blobDir.resolve(bucket));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public URI endpoint() {
        return URI.create("http://" + address + ":" + port);
    }

    public String accessKeyId() {
        return ACCESS_KEY_ID;
    }

    /** The secret the server accepts (test-only, random per instance). */
    public String secretAccessKey() {
        return secretKey;
    }

    /** The blobstore directory of a {@link #filesystem} server: {@code <bucket>/<key>} files. */
    public Path blobDirectory() {
        return blobDir;
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    @Override
    public void close() {
        stop();
    }

    private Path writeConfig() throws IOException {
        Properties p = new Properties();
        p.setProperty("s3proxy.endpoint", endpoint().toString());
        p.setProperty("s3proxy.authorization", "aws-v2-or-v4");
        p.setProperty("s3proxy.identity", ACCESS_KEY_ID);
        p.setProperty("s3proxy.credential", secretKey);
        p.setProperty("jclouds.identity", "local");
        p.setProperty("jclouds.credential", "local");
        if (blobDir != null) {
            p.setProperty("jclouds.provider", "filesystem");
            p.setProperty("jclouds.filesystem.basedir", blobDir.toAbsolutePath().toString());
        } else {
            p.setProperty("jclouds.provider", "transient");
        }
        Path file = workDir.resolve("s3proxy.properties");
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            p.store(w, "written by S3ProxyServer");
        }
        return file;
    }

    private static String classPath() throws IOException {
        try (InputStream in = S3ProxyServer.class.getResourceAsStream("s3proxy.classpath")) {
            if (in == null) {
                throw new IllegalStateException("resource dev/autopilot/testkit/s3/s3proxy.classpath is missing: "
                        + "build testkit with Maven (mvn -pl testkit install), which writes it");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        }
    }

    private boolean accepting() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, port), 500);
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
