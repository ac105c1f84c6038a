package dev.autopilot.cli.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.cli.CommandFailure;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;

/**
 * Calls an agent's REST API; turns every answer other than 200 into a {@link CommandFailure} that says why.
 *
 * <p>The address comes from the member's record in the coordination store, which anyone who can write to the store
 * could change. With {@code tls} every call is HTTPS and the JDK verifies that the agent's certificate is issued by
 * the cluster's CA for exactly that address, so the token goes only to a real member. Without it the token crosses
 * the network in clear to whatever address the record names (docs/security.md says when that is acceptable).
 */
public final class AgentClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Optional<SSLContext> tls;
    private final String scheme;
    private final String token;
    private HttpClient http; // built on first use: reads through get(URI, ...) never need it

    /**
     * @param token the operator token, or null for read-only calls
     * @param tls   trust in the CA that signs the agents' API certificates: call over HTTPS; empty: plain HTTP
     */
    public AgentClient(String token, Optional<SSLContext> tls) {
        this.token = token;
        this.tls = tls;
        this.scheme = tls.isPresent() ? "https" : "http";
    }

    private synchronized HttpClient http() {
        if (http == null) {
            HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2));
            tls.ifPresent(b::sslContext);
            http = b.build();
        }
        return http;
    }

    /** The member's API root as this client calls it. */
    private String url(MemberRecord member, String path) {
        return scheme + "://" + hostForUrl(member.address()) + ":" + member.apiPort() + path;
    }

    private static String hostForUrl(String address) {
        return address.contains(":") && !address.startsWith("[") ? "[" + address + "]" : address;
    }

    /** POSTs {@code body} to {@code path} on {@code member}; returns the agent's message. */
    public String post(MemberRecord member, String path, Map<String, Object> body) {
        try {
            var request = HttpRequest.newBuilder(URI.create(url(member, path))).timeout(Duration.ofSeconds(10))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build();
            return field(answer(member, path, request), "message");
        } catch (IOException e) {
            throw unreachable(member, e);
        }
    }

    /** GETs {@code path}; returns the JSON body of a 200. */
    public JsonNode get(MemberRecord member, String path) {
        var request = HttpRequest.newBuilder(URI.create(url(member, path))).timeout(Duration.ofSeconds(10)).GET().build();
        return answer(member, path, request);
    }

    /**
     * GETs {@code path} from the agent whose API root is {@code api} (known without the store: {@code --api}, an agent's
     * configuration, a local cluster), waiting at most {@code timeout} for the answer; returns the JSON body of a 200.
     */
    public JsonNode get(URI api, String path, Duration timeout) {
        // HttpURLConnection, not the HttpClient: a command that only reads starts in a fraction of the time without the
        // HttpClient's selector thread and default TLS context (a trust-store load even for plain HTTP).
        String where = "agent at " + api.getAuthority();
        HttpURLConnection c = null;
        try {
            c = (HttpURLConnection) api.resolve(path).toURL().openConnection();
            if (c instanceof HttpsURLConnection https) {
                https.setSSLSocketFactory(tls.orElseThrow(() -> CommandFailure.usage(api + " is HTTPS: give the agents' CA with --api-ca"))
                        .getSocketFactory());
            }
            c.setConnectTimeout((int) timeout.toMillis());
            c.setReadTimeout((int) timeout.toMillis());
            int status = c.getResponseCode();
            try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
                String text = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
                return judge(where, path, status, text);
            }
        } catch (IOException e) {
            throw CommandFailure.unreachable(where + " unreachable (" + e + ")");
        } finally {
            if (c != null) {
                c.disconnect();
            }
        }
    }

    /** Sends to the first of {@code agents} that answers at all; refusals are not retried elsewhere. */
    public String postToAny(List<MemberRecord> agents, String path, Map<String, Object> body) {
        CommandFailure last = CommandFailure.unreachable("no running agent to send " + path + " to; start the members first");
        for (MemberRecord a : agents) {
            try {
                return post(a, path, body);
            } catch (CommandFailure f) {
                if (f.exitCode() != dev.autopilot.cli.ExitCodes.UNREACHABLE) {
                    throw f;
                }
                last = f;
            }
        }
        throw last;
    }

    private JsonNode answer(MemberRecord member, String path, HttpRequest request) {
        try {
            return answer(member.name(), path, request);
        } catch (IOException e) {
            throw unreachable(member, e);
        }
    }

    private JsonNode answer(String who, String path, HttpRequest request) throws IOException {
        HttpResponse<String> r;
        try {
            r = http().send(request, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CommandFailure.failed("interrupted while waiting for " + who);
        }
        return judge(who, path, r.statusCode(), r.body());
    }

    /** The JSON body of a 200; any other status as the failure that says why. */
    private static JsonNode judge(String who, String path, int status, String text) {
        JsonNode body;
        try {
            body = JSON.readTree(text);
        } catch (IOException e) {
            body = JSON.createObjectNode().put("error", text);
        }
        String error = field(body, "error");
        return switch (status) {
            case 200 -> body;
            case 401 -> throw CommandFailure.refused(who + " refused the operator token (" + error
                    + "); check --token-file, AUTOPILOT_OPERATOR_TOKEN_FILE or AUTOPILOT_CLUSTER_TOKEN_FILE");
            case 409, 400 -> throw CommandFailure.refused(who + " refused " + path + ": " + error);
            case 501 -> throw CommandFailure.failed(who + ": " + error);
            case 503 -> throw CommandFailure.unreachable(who + " cannot serve " + path + " now: " + error);
            default -> throw CommandFailure.failed(who + " answered " + status + " to " + path + ": " + error);
        };
    }

    private static CommandFailure unreachable(MemberRecord member, IOException e) {
        return CommandFailure.unreachable("agent " + member.name() + " at " + member.address() + ":" + member.apiPort() + " unreachable (" + e
                + "); is it running?");
    }

    private static String field(JsonNode body, String name) {
        JsonNode n = body.get(name);
        return n == null ? body.toString() : n.asText();
    }
}
