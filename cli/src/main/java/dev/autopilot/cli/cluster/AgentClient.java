package dev.autopilot.cli.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.cli.CommandFailure;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
    private final HttpClient http;
    private final String scheme;
    private final String token;

    /**
     * @param token the operator token, or null for read-only calls
     * @param tls   trust in the CA that signs the agents' API certificates: call over HTTPS; empty: plain HTTP
     */
    public AgentClient(String token, Optional<SSLContext> tls) {
        this.token = token;
        this.scheme = tls.isPresent() ? "https" : "http";
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2));
        tls.ifPresent(b::sslContext);
        this.http = b.build();
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
        HttpResponse<String> r;
        try {
            r = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw unreachable(member, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CommandFailure.failed("interrupted while waiting for " + member.name());
        }
        JsonNode body;
        try {
            body = JSON.readTree(r.body());
        } catch (IOException e) {
            body = JSON.createObjectNode().put("error", r.body());
        }
        String error = field(body, "error");
        return switch (r.statusCode()) {
            case 200 -> body;
            case 401 -> throw CommandFailure.refused(member.name() + " refused the operator token (" + error
                    + "); check --token-file, AUTOPILOT_OPERATOR_TOKEN_FILE or AUTOPILOT_CLUSTER_TOKEN_FILE");
            case 409, 400 -> throw CommandFailure.refused(member.name() + " refused " + path + ": " + error);
            case 501 -> throw CommandFailure.failed(member.name() + ": " + error);
            case 503 -> throw CommandFailure.unreachable(member.name() + " cannot serve " + path + " now: " + error);
            default -> throw CommandFailure.failed(member.name() + " answered " + r.statusCode() + " to " + path + ": " + error);
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
