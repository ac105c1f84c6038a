package dev.autopilot.agent.ha;

import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.mysql.auth.Secret;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Failsafe requests over the members' REST APIs: {@code POST /failsafe} with the cluster token, to every member at
 * once. A member confirmed when it answered 200 within the timeout; anything else counts as not confirmed.
 */
public final class RestFailsafePeers implements FailsafePeers {
    private final Secret token;
    /**
     * Built at the first failsafe round, not with the agent: an {@code HttpClient} keeps a selector thread of its own,
     * and most agents never lose the store (the classes are loaded by then: the store's client is one too).
     */
    private HttpClient http;

    public RestFailsafePeers(Secret clusterToken) {
        this.token = clusterToken;
    }

    private synchronized HttpClient http() {
        if (http == null) {
            http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        }
        return http;
    }

    @Override
    public Set<String> confirm(String primary, Collection<MemberRecord> members, Duration window, Duration timeout) {
        String body = "{\"primary\": \"" + primary + "\", \"windowMillis\": \"" + window.toMillis() + "\"}";
        Map<String, CompletableFuture<HttpResponse<Void>>> answers = new LinkedHashMap<>();
        for (MemberRecord m : members) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(m.apiUrl() + "/failsafe"))
                    .timeout(timeout)
                    .header("Authorization", "Bearer " + token.reveal())
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build();
            answers.put(m.name(), http().sendAsync(request, HttpResponse.BodyHandlers.discarding()));
        }
        long end = System.nanoTime() + timeout.toNanos();
        Set<String> confirmed = new HashSet<>();
        for (var answer : answers.entrySet()) {
            try {
                long left = Math.max(0, end - System.nanoTime());
                if (answer.getValue().get(left, TimeUnit.NANOSECONDS).statusCode() == 200) {
                    confirmed.add(answer.getKey());
                }
            } catch (ExecutionException | TimeoutException e) {
                answer.getValue().cancel(true); // not confirmed: unreachable, refused or too slow
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return confirmed;
    }
}
