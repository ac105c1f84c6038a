package dev.autopilot.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One dockerd of the test's own: its data root, exec root, pid file and socket under the test's directories, never
 * the host's. Two kinds, one at a time on the same data root (so the images the first builds are there for the
 * second): {@link #forBuilding} in the host's network namespace with no networking of its own (no bridge, no
 * firewall rules, no forwarding: {@code docker build --network host} reaches the Debian mirror as the host does),
 * and {@link #inNamespace} inside a network namespace the test made, where its bridge and firewall rules live and
 * die with the namespace.
 *
 * <p>The client is Debian's {@code /usr/bin/docker} 20.10, the daemon's own version: {@code /usr/local/bin/docker}
 * (a 28.x client earlier on PATH here) builds through BuildKit/buildx, which this daemon has not got.
 */
final class DockerEngine implements AutoCloseable {
    static final Path DOCKERD = Path.of("/usr/sbin/dockerd");
    static final Path DOCKER = Path.of("/usr/bin/docker");
    static final Path COMPOSE = Path.of("/usr/bin/docker-compose");

    /** A finished command: exit status and stdout + stderr. */
    record Run(int exit, String output) {
        Run orFail(String what) {
            if (exit != 0) {
                throw new IllegalStateException(what + " failed (exit " + exit + "):\n" + output);
            }
            return this;
        }
    }

    /** dockerd could not start here (a kernel without overlay or namespaces, a sandbox): the test is skipped. */
    static final class Unavailable extends Exception {
        Unavailable(String message) {
            super(message);
        }
    }

    private final Process process;
    private final Path runDir;
    private final Optional<String> netns;

    private DockerEngine(Process process, Path runDir, Optional<String> netns) {
        this.process = process;
        this.runDir = runDir;
        this.netns = netns;
    }

    static DockerEngine forBuilding(Path dataRoot, Path runDir, Path log) throws Unavailable, IOException, InterruptedException {
        return start(dataRoot, runDir, log, Optional.empty(), List.of("--bridge=none", "--iptables=false", "--ip6tables=false",
                "--ip-forward=false", "--ip-masq=false"));
    }

    /** {@code netns}: a name made with {@code ip netns add}, its loopback up. */
    static DockerEngine inNamespace(String netns, Path dataRoot, Path runDir, Path log) throws Unavailable, IOException, InterruptedException {
        return start(dataRoot, runDir, log, Optional.of(netns), List.of());
    }

    private static DockerEngine start(Path dataRoot, Path runDir, Path log, Optional<String> netns, List<String> networking)
            throws Unavailable, IOException, InterruptedException {
        Files.createDirectories(runDir);
        Path config = runDir.resolve("daemon.json");
        Files.writeString(config, "{}\n"); // never the host's /etc/docker/daemon.json
        List<String> cmd = new ArrayList<>();
        netns.ifPresent(n -> cmd.addAll(List.of("nsenter", "--net=/run/netns/" + n, "--")));
        cmd.addAll(List.of(DOCKERD.toString(), "--config-file", config.toString(), "--data-root", dataRoot.toString(),
                "--exec-root", runDir.resolve("exec").toString(), "--pidfile", runDir.resolve("dockerd.pid").toString(),
                "-H", "unix://" + runDir.resolve("docker.sock")));
        cmd.addAll(networking);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        DockerEngine engine = new DockerEngine(p, runDir, netns);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (engine.docker(Duration.ofSeconds(10), "version", "--format", "{{.Server.Version}}").exit() != 0) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                engine.close();
                throw new Unavailable("dockerd did not start" + netns.map(n -> " in network namespace " + n).orElse("") + ":\n" + tail(log));
            }
            Thread.sleep(100);
        }
        return engine;
    }

    /** {@code DOCKER_HOST} for this engine. */
    String host() {
        return "unix://" + runDir.resolve("docker.sock");
    }

    Run docker(Duration timeout, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(DOCKER.toString(), "-H", host()));
        cmd.addAll(List.of(args));
        return run(cmd, Optional.empty(), timeout);
    }

    /** {@code docker-compose ARGS} in {@code dir}, as a user in that directory would run it. */
    Run compose(Path dir, Duration timeout, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(COMPOSE.toString()));
        cmd.addAll(List.of(args));
        return run(cmd, Optional.of(dir), timeout);
    }

    /** A command run with this engine's {@code DOCKER_HOST}; killed and failed past {@code timeout}. */
    Run run(List<String> cmd, Optional<Path> dir, Duration timeout) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        dir.ifPresent(d -> pb.directory(d.toFile()));
        Map<String, String> env = pb.environment();
        env.put("DOCKER_HOST", host());
        env.remove("COMPOSE_PROJECT_NAME");
        env.remove("COMPOSE_FILE");
        Process p = pb.start();
        p.getOutputStream().close();
        StringBuilder out = new StringBuilder();
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                out.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                out.append("(output lost: ").append(e).append(')');
            }
        });
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            reader.join(5000);
            throw new IllegalStateException(String.join(" ", cmd) + " did not finish in " + timeout + ":\n" + out);
        }
        reader.join();
        return new Run(p.exitValue(), out.toString());
    }

    /** Stops the daemon by its pid (SIGTERM: it stops its containers; SIGKILL after 60 s), then whatever it left. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        netns.ifPresent(DockerEngine::killProcessesIn);
        unmountUnder(runDir);
    }

    /**
     * Unmounts whatever is still mounted under {@code dir}: dockerd 20.10 leaves the bind mount of its network namespace
     * ({@code exec-root/netns/default}) behind when it stops.
     */
    static void unmountUnder(Path dir) {
        try {
            List<String> points = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().map(l -> l.split(" ")[4])
                    .filter(p -> p.startsWith(dir + "/")).sorted(java.util.Comparator.reverseOrder()).toList();
            for (String point : points) {
                new ProcessBuilder("umount", "-l", point).redirectErrorStream(true).start().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (IOException e) {
            // Best effort: reported by the next run's clean-up, which tries again.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Kills, by pid, every process still in network namespace {@code netns} (a container's shim left behind). */
    static void killProcessesIn(String netns) {
        try {
            Process pids = new ProcessBuilder("ip", "netns", "pids", netns).redirectErrorStream(true).start();
            String out = new String(pids.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            pids.waitFor(10, TimeUnit.SECONDS);
            out.lines().map(String::strip).filter(l -> l.matches("\\d+")).map(Long::parseLong)
                    .forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
        } catch (IOException e) {
            // Best effort: the namespace is deleted next.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "(no log at " + log + ")";
        }
    }
}
