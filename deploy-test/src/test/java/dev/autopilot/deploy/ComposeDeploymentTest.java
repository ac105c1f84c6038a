package dev.autopilot.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.abort;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The original's deployment, run as its users run it: in a copy of deploy/ with the secrets generated as
 * deploy/secrets/README says, {@code docker-compose up -d}, then {@code docker-compose up -d --scale mysql=3}, then
 * the primary's container stopped and started, then {@code docker-compose down}. The only addition is a
 * docker-compose.override.yml (which compose reads by itself) naming the images built here (see {@link TestImages}).
 *
 * <p>Images are built by a dockerd in the host's network namespace without networking of its own; the containers run
 * under a second dockerd inside a network namespace this test creates, and the checks reach them through
 * {@link NamespaceRelay}. Skipped, with the reason, where no Docker engine can run (not root, packages missing:
 * {@link EngineRequirements}; dockerd refusing to start); {@code bin/prerequisites} installs them. The scenarios build on each other, in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(EngineRequirements.class)
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class ComposeDeploymentTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration COMMAND = Duration.ofMinutes(3);
    private static final List<String> SECRETS = List.of("root-password", "replication-password", "monitor-password",
            "backup-password", "app-password", "cluster-token");
    /** Compose v1 names the project after the directory: containers are deploy_mysql_1, deploy_haproxy_1, ... */
    private static final String PROJECT = "deploy";

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static Path work;
    private static Path deployDir;
    private static String netns;
    private static Path runDir;
    private static DockerEngine engine;
    private static NamespaceRelay relay;
    private static String appPassword;
    private static Thread shutdownHook;
    private static final AtomicBoolean tornDown = new AtomicBoolean();
    /** Ids of rows whose INSERT through HAProxy was acknowledged. */
    private static final Set<Long> acknowledged = ConcurrentHashMap.newKeySet();

    @BeforeAll
    static void buildImagesAndStartTheEngine() throws Exception {
        Path repo = EngineRequirements.REPOSITORY;
        Path jar = EngineRequirements.JAR;
        work = Path.of("target", "compose").toAbsolutePath();
        // Sockets have a 108-byte path limit: the engines' run directories are short, one per checkout.
        Path run = Path.of("/tmp", "autopilot-compose-" + Integer.toHexString(work.hashCode()));
        runDir = run;
        netns = "autopilot-compose-" + Integer.toHexString(work.hashCode());
        removeLeftovers(run);
        shutdownHook = new Thread(ComposeDeploymentTest::tearDown, "compose-test-teardown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);

        Path context = work.resolve("context");
        TestImages.delete(context);
        Files.createDirectories(context.resolve("cli/target"));
        Files.copy(jar, context.resolve("cli/target/autopilot.jar"));
        deployDir = context.resolve(PROJECT);
        Files.createDirectories(deployDir.resolve("secrets"));
        for (String f : List.of("Dockerfile", "autopilot", "docker-compose.yml", "haproxy.cfg")) {
            Files.copy(repo.resolve("deploy").resolve(f), deployDir.resolve(f), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }

        long t0 = System.nanoTime();
        try (DockerEngine builder = start(() -> DockerEngine.forBuilding(work.resolve("docker"), run.resolve("build"),
                work.resolve("dockerd-build.log")))) {
            new TestImages(builder, work).build(context);
        }
        System.out.printf("images built in %d s%n", (System.nanoTime() - t0) / 1_000_000_000);

        generateSecrets();
        Files.writeString(deployDir.resolve("docker-compose.override.yml"), """
                # The images the test built (no registry here); the haproxy image is Debian's package, not the official image.
                services:
                  etcd: {image: %s}
                  mysql: {image: %s}
                  haproxy:
                    image: %s
                    command: [haproxy, -W, -db, -f, /usr/local/etc/haproxy/haproxy.cfg]
                """.formatted(TestImages.TOOLS, TestImages.MEMBER, TestImages.TOOLS));

        command(List.of("ip", "netns", "add", netns));
        command(List.of("ip", "-n", netns, "link", "set", "lo", "up"));
        engine = start(() -> DockerEngine.inNamespace(netns, work.resolve("docker"), run.resolve("run"), work.resolve("dockerd-run.log")));
        relay = NamespaceRelay.start("/run/netns/" + netns, run.resolve("relay.sock"), work.resolve("relay.log"));
        // A container of the last run, if its test was killed before 'down'.
        engine.compose(deployDir, COMMAND, "down", "-v", "--remove-orphans");
    }

    private interface EngineStart {
        DockerEngine start() throws Exception;
    }

    private static DockerEngine start(EngineStart how) throws Exception {
        try {
            return how.start();
        } catch (DockerEngine.Unavailable e) {
            tearDown();
            System.out.println("ComposeDeploymentTest skipped: no Docker engine can run here: " + e.getMessage());
            return abort("no Docker engine can run here: " + e.getMessage());
        }
    }

    /** One random file per secret, mode 0600, as deploy/secrets/README says. */
    private static void generateSecrets() throws IOException {
        SecureRandom random = new SecureRandom();
        for (String s : SECRETS) {
            byte[] bytes = new byte[16];
            random.nextBytes(bytes);
            Path f = deployDir.resolve("secrets").resolve(s);
            Files.writeString(f, HexFormat.of().formatHex(bytes) + "\n");
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        }
        appPassword = Files.readString(deployDir.resolve("secrets/app-password")).strip();
    }

    @AfterAll
    static void downAndStopTheEngine() {
        tearDown();
        if (shutdownHook != null) {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        }
    }

    /** Idempotent; also the shutdown hook: nothing of the test may outlive it, whatever failed. */
    private static void tearDown() {
        if (!tornDown.compareAndSet(false, true)) {
            return;
        }
        if (relay != null) {
            relay.close();
        }
        if (engine != null) {
            try {
                engine.compose(deployDir, COMMAND, "down", "-v", "--remove-orphans");
                // 'down' without -v (as the last test runs it) leaves the members' anonymous volumes in the data root.
                engine.docker(COMMAND, "volume", "prune", "-f");
            } catch (Exception e) {
                System.out.println("docker-compose down at teardown: " + e);
            }
            engine.close();
        }
        if (netns != null && Files.exists(Path.of("/run/netns", netns))) {
            DockerEngine.killProcessesIn(netns);
            command(List.of("ip", "netns", "delete", netns));
        }
        if (runDir != null) {
            DockerEngine.unmountUnder(runDir);
            try {
                TestImages.delete(runDir);
            } catch (IOException e) {
                System.out.println("cannot delete " + runDir + ": " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** What a run killed before its teardown left: its daemons (by the pid files in its run directory), its namespace. */
    private static void removeLeftovers(Path run) throws IOException, InterruptedException {
        for (String kind : List.of("build", "run")) {
            Path pidFile = run.resolve(kind).resolve("dockerd.pid");
            if (Files.exists(pidFile)) {
                long pid = Long.parseLong(Files.readString(pidFile).strip());
                ProcessHandle.of(pid).filter(p -> p.info().commandLine().orElse("").contains(work.toString())).ifPresent(p -> {
                    p.destroyForcibly();
                    p.onExit().join();
                });
            }
        }
        if (Files.exists(Path.of("/run/netns", netns))) {
            DockerEngine.killProcessesIn(netns);
            command(List.of("ip", "netns", "delete", netns));
        }
        DockerEngine.unmountUnder(run);
        TestImages.delete(run);
    }

    private static void command(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
            }
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", cmd) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------

    private static DockerEngine.Run compose(String... args) throws Exception {
        return engine.compose(deployDir, COMMAND, args).orFail("docker-compose " + String.join(" ", args));
    }

    private static String docker(String... args) throws Exception {
        return engine.docker(COMMAND, args).orFail("docker " + String.join(" ", args)).output().strip();
    }

    private static String container(int index) {
        return PROJECT + "_mysql_" + index;
    }

    /** A member's name is its container's hostname (member.name defaults to HOSTNAME). */
    private static String memberName(String container) throws Exception {
        return docker("inspect", "-f", "{{.Config.Hostname}}", container);
    }

    private static String ip(String container) throws Exception {
        return docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", container);
    }

    private static String containerOf(String member) throws Exception {
        for (String c : docker("ps", "-a", "--filter", "label=com.docker.compose.service=mysql", "--format", "{{.Names}}").split("\n")) {
            if (memberName(c).equals(member)) {
                return c;
            }
        }
        throw new AssertionError("no container for member " + member);
    }

    private static HttpResponse<String> get(String ip, String path) throws IOException, InterruptedException {
        InetSocketAddress a = relay.forward(ip, 8008);
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + a.getHostString() + ":" + a.getPort() + path))
                .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** {@code GET /cluster} of the agent in {@code container}: every member as the agent reads the store. */
    private static JsonNode cluster(String container) throws Exception {
        HttpResponse<String> r = get(ip(container), "/cluster");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private static String logs(String container) throws Exception {
        return engine.docker(COMMAND, "logs", container).output();
    }

    /** The haproxy service's published port 3306 (the primary), as a client on the Docker host reaches it. */
    private static Connection throughHaproxy() throws SQLException {
        InetSocketAddress a = relay.forward("127.0.0.1", 3306);
        return DriverManager.getConnection("jdbc:mariadb://" + a.getHostString() + ":" + a.getPort()
                + "/app?connectTimeout=2000&socketTimeout=3000", "app", appPassword);
    }

    private static Connection direct(String container) throws Exception {
        InetSocketAddress a = relay.forward(ip(container), 3306);
        return DriverManager.getConnection("jdbc:mariadb://" + a.getHostString() + ":" + a.getPort()
                + "/app?connectTimeout=2000&socketTimeout=3000", "app", appPassword);
    }

    private static Set<Long> ids(Connection c) throws SQLException {
        Set<Long> out = new HashSet<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT id FROM writes")) {
            while (rs.next()) {
                out.add(rs.getLong(1));
            }
        }
        return out;
    }

    /**
     * Waits until the cluster has {@code n} members, all healthy, one primary (the leader-lock holder) and the others
     * replicating from it. {@code GET /cluster} lists the members whose agent runs (a stopped one's record is gone).
     */
    private static JsonNode assembled(String asked, int n) {
        JsonNode[] last = new JsonNode[1];
        await("%d members: one primary, %d healthy replicas replicating from it".formatted(n, n - 1)).atMost(Duration.ofMinutes(3))
                .pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(() -> {
                    JsonNode c = cluster(asked);
                    last[0] = c;
                    String primary = c.path("leader").asText("");
                    assertThat(primary).as(c.toString()).isNotEmpty();
                    assertThat(c.path("members")).as(c.toString()).hasSize(n);
                    for (JsonNode m : c.path("members")) {
                        assertThat(m.path("healthy").asBoolean()).as(m.toString()).isTrue();
                        if (m.path("name").asText().equals(primary)) {
                            assertThat(m.path("role").asText()).as(m.toString()).isEqualTo("PRIMARY");
                        } else {
                            assertThat(m.path("role").asText()).as(m.toString()).isEqualTo("REPLICA");
                            assertThat(m.path("replicatingFrom").asText()).as(m.toString()).isEqualTo(primary);
                        }
                    }
                });
        return last[0];
    }

    // ---------------------------------------------------------------------------------------------------------------

    @Test
    @Order(1)
    void upStartsEtcdHaproxyAndOneMemberThatBootstrapsTheClusterAsPrimary() throws Exception {
        compose("up", "-d");
        String first = container(1);
        await("the first member leads").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> get(ip(first), "/primary").statusCode() == 200);
        JsonNode c = assembled(first, 1);
        assertThat(c.path("leader").asText()).isEqualTo(memberName(first));
        try (Connection db = throughHaproxy(); Statement s = db.createStatement()) {
            s.execute("CREATE TABLE writes (id BIGINT PRIMARY KEY, at BIGINT NOT NULL)");
        }
    }

    @Test
    @Order(2)
    void scalingToThreeAddsTwoReplicasThatCloneAndReplicateAndHaproxyRoutesWritesToThePrimary() throws Exception {
        compose("up", "-d", "--scale", "mysql=3");
        JsonNode c = assembled(container(1), 3);
        String primary = c.path("leader").asText();
        try (Connection db = throughHaproxy(); PreparedStatement ps = db.prepareStatement("INSERT INTO writes VALUES (?, ?)");
             Statement s = db.createStatement()) {
            for (long id = 1; id <= 10; id++) {
                ps.setLong(1, id);
                ps.setLong(2, System.currentTimeMillis());
                ps.executeUpdate();
                acknowledged.add(id);
            }
            try (ResultSet rs = s.executeQuery("SELECT @@hostname, @@read_only, COUNT(*) FROM writes")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).as("HAProxy's :3306 leads to the primary").isEqualTo(primary);
                assertThat(rs.getBoolean(2)).isFalse();
                assertThat(rs.getLong(3)).isEqualTo(10);
            }
        }
        for (int i = 1; i <= 3; i++) {
            String name = container(i);
            if (memberName(name).equals(primary)) {
                continue;
            }
            await(name + " has the rows written through HAProxy").atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
                try (Connection db = direct(name); Statement s = db.createStatement();
                     ResultSet rs = s.executeQuery("SELECT @@read_only")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getBoolean(1)).as(name + " is read-only").isTrue();
                    assertThat(ids(db)).containsAll(acknowledged);
                }
            });
        }
    }

    /**
     * {@code docker stop} sends SIGTERM to the agent, PID 1: it hands the primary role over (a planned switchover: the
     * final position handed to a replica, which takes the lock) instead of dying and leaving the lock to expire.
     * A client writing through HAProxy all along loses no acknowledged write.
     */
    @Test
    @Order(3)
    void dockerStopOfThePrimaryHandsOverToAReplicaAndNoAcknowledgedWriteIsLost() throws Exception {
        String asked = container(1);
        String oldPrimary = cluster(asked).path("leader").asText();
        String stopped = containerOf(oldPrimary);
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong next = new AtomicLong(1000);
        List<String> errors = new ArrayList<>();
        Thread writer = Thread.ofPlatform().name("writer").start(() -> {
            while (writing.get()) {
                try (Connection db = throughHaproxy(); PreparedStatement ps = db.prepareStatement("INSERT INTO writes VALUES (?, ?)")) {
                    while (writing.get()) {
                        long id = next.getAndIncrement();
                        ps.setLong(1, id);
                        ps.setLong(2, System.currentTimeMillis());
                        ps.executeUpdate();
                        acknowledged.add(id);
                        Thread.sleep(20);
                    }
                } catch (SQLException e) {
                    synchronized (errors) {
                        errors.add(e.getMessage());
                    }
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        try {
            await("writes flow through HAProxy").atMost(Duration.ofSeconds(20)).until(() -> acknowledged.size() > 30);
            long t0 = System.nanoTime();
            docker("stop", stopped);
            System.out.printf("docker stop of the primary took %d ms%n", (System.nanoTime() - t0) / 1_000_000);
            int before = acknowledged.size();
            String survivor = container(1).equals(stopped) ? container(2) : container(1);
            JsonNode c = assembled(survivor, 3 - 1);
            String newPrimary = c.path("leader").asText();
            assertThat(newPrimary).isNotEqualTo(oldPrimary);
            assertThat(c.path("lastPromotion").path("member").asText()).isEqualTo(newPrimary);
            assertThat(c.path("lastPromotion").path("reason").asText()).as("a hand-over, not a failover after the lock expired")
                    .isEqualTo("planned switchover from " + oldPrimary);
            await("writes through HAProxy reach the new primary").atMost(Duration.ofSeconds(30)).until(() -> acknowledged.size() > before + 20);
        } finally {
            writing.set(false);
            writer.join(10_000);
        }
        assertThat(docker("inspect", "-f", "{{.State.ExitCode}}", stopped)).as("the agent exits 0 after a graceful stop, not 137 (SIGKILL)")
                .isEqualTo("0");
        String log = logs(stopped);
        assertThat(log).contains(oldPrimary + ": received SIGTERM; stopping gracefully", "stepped down for switchover to ",
                "job mariadbd: stopped (exit status 0)");
        System.out.println("the stopped primary's log from SIGTERM on:\n" + log.substring(log.indexOf("received SIGTERM")));
        try (Connection db = throughHaproxy()) {
            Set<Long> present = ids(db);
            assertThat(present).as("every acknowledged write is on the new primary (errors the writer saw: %s)", errors)
                    .containsAll(acknowledged);
        }
    }

    @Test
    @Order(4)
    void dockerStartOfTheOldPrimaryRejoinsItAsAReplica() throws Exception {
        String stopped = null;
        for (int i = 1; i <= 3; i++) {
            if (!Boolean.parseBoolean(docker("inspect", "-f", "{{.State.Running}}", container(i)))) {
                stopped = container(i);
            }
        }
        assertThat(stopped).as("the container stopped by the previous test").isNotNull();
        docker("start", stopped);
        JsonNode c = assembled(stopped, 3);
        assertThat(c.path("leader").asText()).isNotEqualTo(memberName(stopped));
        String rejoined = stopped;
        await(rejoined + " has every acknowledged write").atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
            try (Connection db = direct(rejoined)) {
                assertThat(ids(db)).containsAll(acknowledged);
            }
        });
    }

    /**
     * The agent is PID 1 in its container: a process whose parent exits is re-parented to it, and when it exits the
     * agent must reap it, or it stays a zombie for the container's lifetime.
     */
    @Test
    @Order(5)
    void theAgentAsPid1ReapsOrphanedProcesses() throws Exception {
        String c = container(2);
        String pid = docker("exec", c, "sh", "-c", "sleep 5 & echo $!");
        String stat = engine.docker(COMMAND, "exec", c, "cat", "/proc/" + pid + "/stat").output();
        assertThat(stat.split(" ")).as("the orphan (or its zombie) has the agent, pid 1, as parent: " + stat).hasSizeGreaterThan(4);
        assertThat(stat.split(" ")[3]).as(stat).isEqualTo("1");
        await("the orphan is reaped once it exits, and no zombie remains").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                .until(() -> engine.docker(COMMAND, "exec", c, "test", "-e", "/proc/" + pid).exit() != 0
                        && !docker("exec", c, "ps", "-eo", "stat=").contains("Z"));
        assertThat(logs(c)).contains("reaped orphaned process " + pid);
    }

    @Test
    @Order(6)
    void downStopsAndRemovesEveryContainerAndTheNetwork() throws Exception {
        long t0 = System.nanoTime();
        String out = compose("down").output();
        System.out.printf("docker-compose down took %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        assertThat(out).contains("Removing network " + PROJECT + "_default");
        assertThat(docker("ps", "-a", "--filter", "label=com.docker.compose.project=" + PROJECT, "-q")).isEmpty();
        assertThat(docker("network", "ls", "--filter", "name=" + PROJECT + "_default", "-q")).isEmpty();
    }
}
