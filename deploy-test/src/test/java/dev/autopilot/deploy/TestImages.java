package dev.autopilot.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The images the compose test runs, built here because no registry can be reached: a Debian bookworm base from
 * {@code debootstrap}, a Java runtime image from the JDK running the test ({@code jlink}, at /opt/java/openjdk as in
 * eclipse-temurin), the member image from the published deploy/Dockerfile with those two as its build arguments,
 * and one image with Debian's etcd and HAProxy for the compose file's {@code etcd} and {@code haproxy} services.
 * Images stay in the engine's data root, so a second run rebuilds only what changed (the agent's jar).
 */
final class TestImages {
    static final String BASE = "autopilot-test/bookworm";
    static final String JRE = "autopilot-test/jre:" + Runtime.version().feature() + "." + Runtime.version().interim()
            + "." + Runtime.version().update();
    static final String MEMBER = "autopilot-test/member";
    static final String TOOLS = "autopilot-test/tools";
    private static final Duration BUILD = Duration.ofMinutes(10);

    /** The agent's modules (jdeps of the shaded jar: jdk.httpserver for the REST API) and the rest of Java SE. */
    private static final String JRE_MODULES = "java.se,jdk.httpserver,jdk.unsupported,jdk.management,jdk.net,jdk.zipfs,"
            + "jdk.crypto.cryptoki,jdk.naming.dns";

    private final DockerEngine engine;
    private final Path work;

    TestImages(DockerEngine engine, Path work) {
        this.engine = engine;
        this.work = work;
    }

    /** Builds every image; {@code context} holds deploy/ and cli/target/autopilot.jar as in the repository. */
    void build(Path context) throws Exception {
        await(CompletableFuture.allOf(async("base", this::base), async("jre", this::jre)));
        await(CompletableFuture.allOf(async("member", () -> member(context)), async("tools", this::tools)));
        // The member image of the previous jar, now untagged: the data root would grow by its layers every run.
        engine.docker(BUILD, "image", "prune", "-f");
    }

    private boolean exists(String image) throws IOException, InterruptedException {
        return engine.docker(Duration.ofSeconds(30), "image", "inspect", image).exit() == 0;
    }

    /**
     * {@code debootstrap --variant=minbase bookworm}, configured as Debian's slim images are (no documentation, no
     * fsync per file while installing), imported as an image.
     */
    private void base() throws Exception {
        if (exists(BASE)) {
            return;
        }
        Path root = work.resolve("rootfs");
        delete(root);
        String mirror = "http://deb.debian.org/debian";
        engine.run(List.of("debootstrap", "--variant=minbase", "bookworm", root.toString(), mirror), Optional.empty(), BUILD)
                .orFail("debootstrap bookworm from " + mirror);
        Files.writeString(root.resolve("etc/dpkg/dpkg.cfg.d/slim"), """
                force-unsafe-io
                path-exclude /usr/share/doc/*
                path-exclude /usr/share/man/*
                path-exclude /usr/share/info/*
                path-exclude /usr/share/locale/*
                path-include /usr/share/locale/locale.alias
                """);
        Files.writeString(root.resolve("etc/apt/apt.conf.d/slim"), "Acquire::Languages \"none\";\nAPT::Install-Recommends \"false\";\n");
        engine.run(List.of("sh", "-c", "tar -C \"$0\" --exclude=./var/lib/apt/lists/* --exclude=./var/cache/apt/* -c . | "
                + DockerEngine.DOCKER + " import - " + BASE, root.toString()), Optional.empty(), BUILD).orFail("docker import");
        delete(root);
    }

    private void jre() throws Exception {
        if (exists(JRE)) {
            return;
        }
        Path dir = work.resolve("jre");
        delete(dir);
        Files.createDirectories(dir);
        engine.run(List.of(Path.of(System.getProperty("java.home"), "bin", "jlink").toString(), "--add-modules", JRE_MODULES,
                "--strip-debug", "--no-man-pages", "--no-header-files", "--output", dir.resolve("openjdk").toString()),
                Optional.empty(), BUILD).orFail("jlink");
        Files.writeString(dir.resolve("Dockerfile"), "FROM scratch\nCOPY openjdk /opt/java/openjdk\n");
        engine.docker(BUILD, "build", "-q", "-t", JRE, dir.toString()).orFail("docker build " + JRE);
        delete(dir);
    }

    private void member(Path context) throws Exception {
        engine.docker(BUILD, "build", "--network", "host", "--build-arg", "BASE_IMAGE=" + BASE, "--build-arg", "JRE_IMAGE=" + JRE,
                "-f", context.resolve("deploy/Dockerfile").toString(), "-t", MEMBER, context.toString()).orFail("docker build " + MEMBER);
    }

    private void tools() throws Exception {
        Path dir = work.resolve("tools");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("Dockerfile"), "FROM " + BASE + "\nRUN apt-get update && apt-get install -y etcd-server haproxy"
                + " && rm -rf /var/lib/apt/lists/*\n");
        engine.docker(BUILD, "build", "--network", "host", "-t", TOOLS, dir.toString()).orFail("docker build " + TOOLS);
    }

    interface Step {
        void run() throws Exception;
    }

    /** On a thread of its own: the common pool has one thread on two cores, and these steps mostly wait. */
    private static CompletableFuture<Void> async(String name, Step step) {
        return CompletableFuture.runAsync(() -> {
            try {
                long t0 = System.nanoTime();
                step.run();
                System.out.printf("image step %s done in %d s%n", name, (System.nanoTime() - t0) / 1_000_000_000);
            } catch (Exception e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        }, r -> Thread.ofVirtual().start(r));
    }

    private static void await(CompletableFuture<Void> all) throws Exception {
        try {
            all.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception x ? x : e;
        }
    }

    static void delete(Path dir) throws IOException, InterruptedException {
        if (Files.exists(dir)) {
            new ProcessBuilder("rm", "-rf", "--one-file-system", dir.toString()).inheritIO().start().waitFor();
        }
    }
}
