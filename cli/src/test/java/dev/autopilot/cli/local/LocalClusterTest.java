package dev.autopilot.cli.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autopilot.cli.ExitCodes;
import dev.autopilot.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The README's main-job command end to end, on 127.0.7.0/24: {@code local up -n 3 --detach} starts real etcd,
 * three agents with real mariadbd and real HAProxy; the CLI commands then run in-process against it. One cluster
 * for the class (about 1-2 minutes); the scenarios build on each other in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
class LocalClusterTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BASE = "127.0.7";
    private static Path dir;

    record Run(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- out ---\n" + out + "--- err ---\n" + err;
        }
    }

    static Run cli(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        if (!all.getFirst().equals("local")) {
            all.addAll(List.of("--dir", dir.toString()));
        }
        return run(all);
    }

    /** Runs the CLI in-process with these arguments. */
    static Run run(List<String> all) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cli = Main.commandLine(Map.of("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin")));
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(all.toArray(String[]::new));
        return new Run(exit, out.toString(), err.toString());
    }

    static JsonNode status() throws Exception {
        Run r = cli("status", "--json");
        return JSON.readTree(r.out());
    }

    static String primary() throws Exception {
        return status().path("primary").asText("");
    }

    @BeforeAll
    static void up() throws Exception {
        dir = Path.of("target", "it", "LocalClusterTest").toAbsolutePath();
        if (Files.exists(dir.resolve("state.json"))) {
            cli("local", "down", "--dir", dir.toString());
        }
        deleteTree(dir);
        Run r = cli("local", "up", "-n", "3", "--detach", "--address-base", BASE, "--dir", dir.toString(), "--timeout", "150s");
        assertThat(r.exit()).as(r + logs()).isEqualTo(ExitCodes.OK);
        assertThat(r.out()).contains("local cluster 'local' is up");
    }

    /** Deletes a directory and everything in it, if it exists. */
    static void deleteTree(Path root) throws java.io.IOException {
        if (Files.exists(root)) {
            try (var walk = Files.walk(root)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @AfterAll
    static void down() {
        Run r = cli("local", "down", "--dir", dir.toString());
        assertThat(r.exit()).as(r.toString()).isZero();
    }

    static String logs() {
        StringBuilder sb = new StringBuilder();
        for (String n : List.of("db1", "db2", "db3", "haproxy", "etcd")) {
            try {
                List<String> lines = Files.readAllLines(dir.resolve("logs/" + n + ".log"));
                sb.append("\n----- ").append(n).append(" -----\n")
                        .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 25), lines.size())));
            } catch (Exception e) {
                sb.append("\n(no log for ").append(n).append(")");
            }
        }
        return sb.toString();
    }

    @Test
    @Order(1)
    void upStartsThreeHealthyMembersAndStatusShowsThemWithGeneratedPrivateSecrets() throws Exception {
        Run table = cli("status");
        assertThat(table.exit()).as(table.toString()).isZero();
        assertThat(table.out()).contains("cluster local | primary db", "NAME", "GTID POSITION", "LAST SNAPSHOT", "db1", "db2", "db3",
                BASE + ".11:3306");
        JsonNode json = status();
        assertThat(json.path("members")).hasSize(3);
        json.path("members").forEach(m -> assertThat(m.path("healthy").asBoolean()).as(m.toString()).isTrue());
        assertThat(json.path("paused").asBoolean()).isFalse();
        for (String s : LocalUp.SECRETS) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("secrets").resolve(s)))).isEqualTo("rw-------");
        }
        Run again = cli("local", "up", "--address-base", BASE, "--dir", dir.toString(), "--detach");
        assertThat(again.exit()).isEqualTo(ExitCodes.FAILED);
        assertThat(again.err()).contains("a local cluster already runs");
    }

    /**
     * A new user's first switchover: no transaction exists yet, so the final position the old primary hands over is
     * empty. It used to look like no hand-over at all: the old primary won the ordinary election again and stepped down
     * again, round after round, until the request timed out (HaCycleTest has the rule).
     */
    @Test
    @Order(2)
    void aSwitchoverRightAfterUpHandsOverAlthoughTheClusterHasNoTransactionYet() throws Exception {
        JsonNode before = status();
        String old = before.path("primary").asText();
        before.path("members").forEach(m -> assertThat(m.path("gtidPosition").asText()).as("a fresh cluster has no transaction yet: " + m)
                .isEmpty());
        Run r = cli("switchover", "--timeout", "20s");
        assertThat(r.exit()).as(r + logs()).isZero();
        assertThat(r.out()).contains("switchover done:", "(was " + old + ")");
        assertThat(primary()).isNotEqualTo(old);
        await("all healthy again").atMost(Duration.ofSeconds(30)).until(() -> cli("status").exit() == 0);
    }

    @Test
    @Order(3)
    void unauthenticatedMutatingCallsAreRefusedAndChangeNothing() throws Exception {
        String member = status().path("members").get(0).path("address").asText();
        HttpClient http = HttpClient.newHttpClient();
        for (String path : List.of("/pause", "/switchover", "/failover")) {
            var r = http.send(HttpRequest.newBuilder(URI.create("http://" + member + ":8008" + path)).POST(HttpRequest.BodyPublishers.ofString(
                    "{\"to\":\"db2\",\"force\":true}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(path).isEqualTo(401);
        }
        String before = primary();
        JsonNode after = status();
        assertThat(after.path("paused").asBoolean()).isFalse();
        assertThat(after.path("primary").asText()).isEqualTo(before);
        assertThat(after.path("switchover").isNull()).isTrue();

        Run wrongToken = cli("pause", "--token-file", dir.resolve("secrets/app-password").toString());
        assertThat(wrongToken.exit()).as(wrongToken.toString()).isEqualTo(ExitCodes.REFUSED);
        assertThat(wrongToken.err()).contains("refused the operator token");
        assertThat(status().path("paused").asBoolean()).isFalse();
    }

    @Test
    @Order(4)
    void pauseAndResumeGoThroughAnAgentAndShowInStatus() throws Exception {
        Run pause = cli("pause");
        assertThat(pause.exit()).as(pause.toString()).isZero();
        assertThat(pause.out()).contains("cluster paused");
        assertThat(cli("status").out()).contains("failover PAUSED");
        // A paused cluster elects nobody: a switchover would leave it without a primary until the request timed out.
        String primary = status().path("primary").asText();
        Run switchover = cli("switchover");
        assertThat(switchover.exit()).as(switchover.toString()).isNotZero();
        assertThat(switchover.out() + switchover.err()).contains("paused").contains("autopilot resume");
        assertThat(status().path("primary").asText()).isEqualTo(primary);
        Run resume = cli("resume");
        assertThat(resume.exit()).as(resume.toString()).isZero();
        assertThat(status().path("paused").asBoolean()).isFalse();
    }

    @Test
    @Order(5)
    void backupTakesASnapshotThatBackupsListsAndRestoreUses() throws Exception {
        Run backup = cli("backup");
        assertThat(backup.exit()).as(backup.toString()).isZero();
        await("a snapshot is listed").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
                // A new cluster's history may still be empty (the accounts are not binlogged): look for the snapshot, not a GTID.
                .until(() -> cli("backups", "list").out().matches("(?s).*\\d{8}T\\d{6}.*"));
        Path target = dir.resolve("restored");
        Run restore = cli("restore", "--config", dir.resolve("members/db1/agent.yaml").toString(),
                "--to", java.time.Instant.now().plusSeconds(1).toString(), "--target-dir", target.toString());
        assertThat(restore.exit()).as(restore.toString()).isZero();
        assertThat(restore.out()).contains("restored snapshot");
        assertThat(target.resolve("ibdata1")).isRegularFile();
        Run bad = cli("restore", "--to", "yesterday", "--target-dir", target.toString(), "--store-dir", dir.toString());
        assertThat(bad.exit()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    @Order(6)
    void switchoverMovesThePrimaryAndRefusalsExitNonZero() throws Exception {
        String old = primary();
        Run bad = cli("switchover", "--to", "db9");
        assertThat(bad.exit()).as(bad.toString()).isEqualTo(ExitCodes.REFUSED);
        assertThat(bad.err()).contains("no member named db9");
        Run r = cli("switchover");
        assertThat(r.exit()).as(r + logs()).isZero();
        assertThat(r.out()).contains("switchover done:", "(was " + old + ")");
        assertThat(primary()).isNotEqualTo(old);
        Run failover = cli("failover", "--to", old);
        assertThat(failover.exit()).as(failover.toString()).isEqualTo(ExitCodes.REFUSED);
        assertThat(failover.err()).contains("--force");
        await("all healthy again").atMost(Duration.ofSeconds(30)).until(() -> cli("status").exit() == 0);
    }

    @Test
    @Order(7)
    void aClientThroughHaproxyKeepsWritingWhileLocalKillCrashesThePrimaryAndItRejoins() throws Exception {
        String appPassword = Files.readString(dir.resolve("secrets/app-password")).strip();
        String url = "jdbc:mariadb://" + BASE + ".1:3306/app?connectTimeout=1000&socketTimeout=2000";
        try (Connection c = DriverManager.getConnection(url, "app", appPassword); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS writes (id BIGINT PRIMARY KEY, at BIGINT)");
        }
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong committed = new AtomicLong();
        AtomicLong longestGapMillis = new AtomicLong();
        Thread writer = Thread.ofVirtual().start(() -> {
            long lastOk = System.nanoTime();
            long id = 0;
            while (writing.get()) {
                try (Connection c = DriverManager.getConnection(url, "app", appPassword);
                     PreparedStatement ps = c.prepareStatement("INSERT INTO writes VALUES (?, ?)")) {
                    while (writing.get()) {
                        ps.setLong(1, ++id);
                        ps.setLong(2, System.currentTimeMillis());
                        ps.executeUpdate();
                        long now = System.nanoTime();
                        longestGapMillis.accumulateAndGet((now - lastOk) / 1_000_000, Math::max);
                        lastOk = now;
                        committed.incrementAndGet();
                        Thread.sleep(20);
                    }
                } catch (SQLException e) {
                    // the primary went away: reconnect through HAProxy, which now routes to the new one
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        await("writes flow through HAProxy").atMost(Duration.ofSeconds(15)).until(() -> committed.get() > 20);
        longestGapMillis.set(0);
        String old = primary();
        Run kill = cli("local", "kill", old, "--dir", dir.toString());
        assertThat(kill.exit()).as(kill + logs()).isZero();
        assertThat(kill.out()).contains("killed " + old, "is the new primary after", old + " rejoined as replica");
        long before = committed.get();
        await("writes continue on the new primary").atMost(Duration.ofSeconds(20)).until(() -> committed.get() > before + 20);
        writing.set(false);
        writer.join();
        System.out.printf("HAProxy client: %d writes, longest gap across the crash of %s: %d ms%n", committed.get(), old,
                longestGapMillis.get());
        assertThat(longestGapMillis.get()).as("write gap across the failover").isLessThan(15_000);
        JsonNode after = status();
        assertThat(after.path("primary").asText()).isNotEqualTo(old).isNotEmpty();
        assertThat(after.path("problems")).isEmpty();
    }

    @Test
    @Order(8)
    void partitionFreezesAMemberAndItComesBack() throws Exception {
        String replica = "";
        for (JsonNode m : status().path("members")) {
            if (m.path("role").asText().equals("replica")) {
                replica = m.path("name").asText();
            }
        }
        Run r = cli("local", "partition", replica, "--for", "3s", "--dir", dir.toString());
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains(replica + " frozen", replica + " resumed");
        await("healthy again").atMost(Duration.ofSeconds(30)).until(() -> cli("status").exit() == 0);
    }
    /** status asks an agent's REST API and needs no store; with no agent answering it reads the store. */
    @Test
    @Order(9)
    void statusReadsAnAgentWithoutTheStoreAndTheStoreWhenNoAgentAnswers() throws Exception {
        Run viaAgent = cli("status", "--json", "--api", "http://" + BASE + ".12:8008", "--etcd", "http://127.0.7.250:2379", "--cluster", "local");
        assertThat(viaAgent.exit()).as(viaAgent.toString()).isZero();
        JsonNode agentView = JSON.readTree(viaAgent.out());
        assertThat(agentView.path("members")).hasSize(3);
        assertThat(agentView.path("primary").asText()).isNotEmpty();
        Run viaStore = cli("status", "--json", "--api", "http://127.0.7.250:8008", "--etcd", "http://" + BASE + ".1:2379", "--cluster", "local");
        assertThat(viaStore.exit()).as(viaStore.toString()).isZero();
        assertThat(JSON.readTree(viaStore.out()).path("primary").asText()).isEqualTo(agentView.path("primary").asText());
        Run neither = cli("status", "--api", "http://127.0.7.250:8008", "--etcd", "http://127.0.7.250:2379", "--cluster", "local");
        assertThat(neither.exit()).as(neither.toString()).isEqualTo(ExitCodes.UNREACHABLE);
        assertThat(neither.err()).contains("127.0.7.250:2379", "no agent answered");
    }
}
