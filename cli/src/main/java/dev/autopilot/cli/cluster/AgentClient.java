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

/** Calls an agent's REST API; turns every answer other than 200 into a {@link CommandFailure} that says why. */
public final class AgentClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final String token;

    /** @param token the cluster token, or null for read-only calls */
    public AgentClient(String token) {
        this.token = token;
    }

    /** POSTs {@code body} to {@code path} on {@code member}; returns the agent's message. */
    public String post(MemberRecord member, String path, Map<String, Object> body) {
        try {
            var request = HttpRequest.newBuilder(URI.create(member.apiUrl() + path)).timeout(Duration.ofSeconds(10))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build();
            return field(answer(member, path, request), "message");
        } catch (IOException e) {
            throw unreachable(member, e);
        }
    }

    /** GETs {@code path}; returns the JSON body of a 200. */
    public JsonNode get(MemberRecord member, String path) {
        var request = HttpRequest.newBuilder(URI.create(member.apiUrl() + path)).timeout(Duration.ofSeconds(10)).GET().build();
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
            case 401 -> throw CommandFailure.refused(member.name() + " refused the cluster token (" + error
                    + "); check --token-file or AUTOPILOT_CLUSTER_TOKEN_FILE");
            case 409, 400 -> throw CommandFailure.refused(member.name() + " refused " + path + ": " + error);
            case 501 -> throw CommandFailure.failed(member.name() + ": " + error);
            case 503 -> throw CommandFailure.unreachable(member.name() + " cannot serve " + path + " now: " + error);
            default -> throw CommandFailure.failed(member.name() + " answered " + r.statusCode() + " to " + path + ": " + error);
        };
    }

    private static CommandFailure unreachable(MemberRecord member, IOException e) {
        return CommandFailure.unreachable("agent " + member.name() + " at " + member.apiUrl() + " unreachable (" + e
                + "); is it running?");
    }

    private static String field(JsonNode body, String name) {
        JsonNode n = body.get(name);
        return n == null ? body.toString() : n.asText();
    }
}
