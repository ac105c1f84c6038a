package dev.autopilot.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The training run behind the quick commands' AOT cache (JDK 25, JEP 483/514): {@code cli/aot-training.sh} runs this
 * class once per build of the jar, with {@code -XX:AOTCacheOutput} and the quick commands' JVM flags, and the JVM
 * stores every class it loaded here, linked, in the cache that {@code bin/autopilot} then starts {@code status},
 * {@code switchover} and the other cluster commands from (see bin/jdk.sh).
 *
 * <p>It runs those commands as an operator does against a local cluster ({@code --dir}, whose {@code state.json} and
 * token it writes), the agent being a stand-in on a loopback port that answers {@code /cluster}, {@code /history} and
 * {@code /switchover} as an agent does (a switchover included, so that its first run starts warm too). Only what the
 * commands load belongs in the cache: a class in it is loaded at every start, used or not. Exits non-zero when a command
 * did not do what it does against a real cluster, so that no cache is kept from a run that went another way.
 */
final class QuickTraining {
    private QuickTraining() {
    }

    public static void main(String[] args) throws IOException {
        System.exit(train() == 0 ? 0 : 1);
    }

    /** Runs the commands against the stand-in; returns how many did not exit as they do against a healthy cluster. */
    static int train() throws IOException {
        HttpServer agent = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        int port = agent.getAddress().getPort();
        String host = agent.getAddress().getAddress().getHostAddress();
        boolean[] handedOver = {false};
        agent.createContext("/cluster", x -> answer(x, 200, cluster(host, port, handedOver[0])));
        agent.createContext("/history", x -> answer(x, 200, HISTORY));
        agent.createContext("/switchover", x -> {
            x.getRequestBody().readAllBytes();
            handedOver[0] = true;
            answer(x, 200, "{\"message\":\"switchover requested: db1 hands over to the best replica\"}");
        });
        agent.start();
        Path dir = Files.createTempDirectory("autopilot-aot-training");
        int failures = 0;
        try {
            Files.writeString(dir.resolve("state.json"), "{\"cluster\":\"training\",\"addressBase\":\"" + host.substring(0, host.lastIndexOf('.'))
                    + "\",\"members\":3,\"zeroLoss\":false,\"etcdEndpoint\":\"http://" + host + ":1\",\"proxyAddress\":\"" + host
                    + ":3306\",\"processes\":[{\"name\":\"etcd\",\"pid\":1,\"startedAtMillis\":1}]}");
            Files.createDirectories(dir.resolve("secrets"));
            Files.writeString(dir.resolve("secrets/cluster-token"), "training-token\n");
            // The process's environment, as the commands read it (its classes belong in the cache), less what could name
            // a cluster: the training asks its stand-in only.
            Map<String, String> env = new HashMap<>(System.getenv());
            env.keySet().removeIf(name -> name.startsWith("AUTOPILOT_"));
            String[] where = {"--dir", dir.toString(), "--api", "http://" + host + ":" + port + "/"};
            failures += expect(0, Main.run(env, concat("status", where)));
            failures += expect(0, Main.run(env, concat("status", where)));
            failures += expect(0, Main.run(env, concat("switchover", concat("--timeout", concat("10s", where)))));
            failures += expect(0, Main.run(env, concat("status", where)));
        } finally {
            agent.stop(0);
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return failures;
    }

    private static int expect(int code, int actual) {
        if (actual != code) {
            System.err.println("AOT training: a command exited " + actual + ", expected " + code);
            return 1;
        }
        return 0;
    }

    private static String[] concat(String first, String... rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    private static void answer(HttpExchange x, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** {@code GET /cluster} as an agent answers it: db1 primary, then db2 once a switchover was asked for. */
    private static String cluster(String host, int port, boolean handedOver) {
        String primary = handedOver ? "db2" : "db1";
        StringBuilder members = new StringBuilder();
        for (String name : new String[] {"db1", "db2", "db3"}) {
            boolean isPrimary = name.equals(primary);
            members.append(members.isEmpty() ? "" : ",").append("{\"name\":\"").append(name).append("\",\"address\":\"").append(host)
                    .append("\",\"mysqlPort\":3306,\"apiPort\":").append(port).append(",\"clonePort\":4444,\"role\":\"")
                    .append(isPrimary ? "PRIMARY" : "REPLICA").append("\",\"state\":\"RUNNING\",\"healthy\":true,\"promotable\":true,")
                    .append("\"gtidPosition\":\"0-1-42\",\"knownGtids\":\"0-1-42\",\"lagMillis\":").append(isPrimary ? -1 : 0)
                    .append(",\"serverVersion\":\"MariaDB 10.11.19\",\"lastError\":\"\",\"priority\":100,\"noFailover\":false,")
                    .append("\"replicatingFrom\":\"").append(isPrimary ? "" : primary).append("\",\"updatedAtMillis\":1796332147378,")
                    .append("\"lastSnapshot\":\"2026-12-03T21:02:15.155611644Z\",\"asyncFallback\":false,\"serverId\":").append(1000 + name.charAt(2))
                    .append('}');
        }
        return "{\"answeredBy\":\"db3\",\"stale\":false,\"leader\":\"" + primary + "\",\"paused\":false,"
                + (handedOver ? "\"switchover\":{\"from\":\"db1\",\"to\":\"db2\",\"requestedAtMillis\":1796332147000,\"finalPosition\":\"0-1-42\",\"handed\":true},"
                        + "\"lastPromotion\":{\"member\":\"db2\",\"previous\":\"db1\",\"reason\":\"switchover\",\"atMillis\":1796332147400},"
                        : "\"switchover\":null,\"lastPromotion\":null,")
                + "\"initializedBy\":\"db1\",\"members\":[" + members + "],\"roster\":[\"db1\",\"db2\",\"db3\"]}";
    }

    /** {@code GET /history}: a copy, a promotion, members joining (the kinds {@code status} prints specially). */
    private static final String HISTORY = "{\"answeredBy\":\"db3\",\"events\":["
            + "{\"atMillis\":1796331720279,\"at\":\"2026-12-03T21:02:00.279Z\",\"member\":\"db1\",\"kind\":\"promoted\","
            + "\"message\":\"db1 is the primary: relay log applied, writes open\",\"details\":{\"drainMillis\":0,\"openMillis\":3}},"
            + "{\"atMillis\":1796331720856,\"at\":\"2026-12-03T21:02:00.856Z\",\"member\":\"db2\",\"kind\":\"provisioning-started\","
            + "\"message\":\"db2 copies its data from db1\",\"details\":{\"source\":\"live clone from db1\"}},"
            + "{\"atMillis\":1796331722856,\"at\":\"2026-12-03T21:02:02.856Z\",\"member\":\"db2\",\"kind\":\"provisioning-progress\","
            + "\"message\":\"db2 copied 8 MB\",\"details\":{\"bytes\":8388608,\"totalBytes\":17650112,\"bytesPerSecond\":9708532}},"
            + "{\"atMillis\":1796331724234,\"at\":\"2026-12-03T21:02:04.234Z\",\"member\":\"db2\",\"kind\":\"provisioning-finished\","
            + "\"message\":\"db2 has its copy from db1 at GTID position 0-1-42\",\"details\":{\"bytes\":17650112,\"bytesPerSecond\":9708532,"
            + "\"durationMillis\":1818,\"source\":\"live clone from db1\"}},"
            + "{\"atMillis\":1796331725586,\"at\":\"2026-12-03T21:02:05.586Z\",\"member\":\"db1\",\"kind\":\"member-joined\","
            + "\"message\":\"db2 joined the cluster\",\"details\":{\"address\":\"127.0.0.12\",\"joined\":\"db2\"}}]}";
}
