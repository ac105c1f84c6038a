package dev.autopilot.coordination.consul;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autopilot.coordination.CoordinatorSettings;
import dev.autopilot.coordination.Secret;
import dev.autopilot.coordination.support.PemTls;
import dev.autopilot.coordination.support.Retrier;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Consul's HTTP API over {@link HttpClient}: the ACL token in the {@code X-Consul-Token} header (never in a URL,
 * so never in an access log), JSON through Jackson, TLS from PEM files. 2xx and 404 are answers; other 4xx are the
 * store refusing ({@link Refused}); 5xx ("No cluster leader") and transport errors are retried by the caller.
 */
final class ConsulHttp {

    /** A 4xx answer other than 404: the agent is reachable and says no. Not retried. */
    static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    /** A 5xx answer: the agent is up but cannot serve now (no leader); retried. */
    static final class Unavailable extends IOException {
        private static final long serialVersionUID = 1L;

        Unavailable(String message) {
            super(message);
        }
    }

    /** One answer: status, body, and the X-Consul-Index header (0 if absent). */
    record Answer(int status, byte[] body, long index) {
        boolean found() {
            return status != 404;
        }

        JsonNode json() {
            try {
                return body.length == 0 ? JSON.nullNode() : JSON.readTree(body);
            } catch (IOException e) {
                throw new Refused("unparsable answer from consul: " + new String(body, StandardCharsets.UTF_8));
            }
        }

        boolean isTrue() {
            return new String(body, StandardCharsets.UTF_8).trim().equals("true");
        }
    }

    static final ObjectMapper JSON = new ObjectMapper();
    static final Predicate<Throwable> RETRYABLE = t -> t instanceof IOException;

    private final HttpClient client;
    private final URI base;
    private final Optional<Secret> token;

    ConsulHttp(CoordinatorSettings s) {
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(Math.min(2000, s.requestTimeout().toMillis())));
        s.tls().ifPresent(t -> b.sslContext(PemTls.context(t)));
        this.client = b.build();
        this.base = s.endpoints().getFirst();
        this.token = s.token();
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("%2F", "/"); // path, not form
    }

    /** One request, bounded by {@code timeout}. */
    Answer send(String method, String pathAndQuery, byte[] body, long timeoutNanos) throws IOException, InterruptedException {
        HttpRequest.Builder r = HttpRequest.newBuilder(base.resolve(pathAndQuery))
                .timeout(Duration.ofNanos(Math.max(1_000_000, timeoutNanos)))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (token.isPresent()) {
            r.header("X-Consul-Token", new String(token.get().reveal()));
        }
        HttpResponse<byte[]> resp = client.send(r.build(), HttpResponse.BodyHandlers.ofByteArray());
        int status = resp.statusCode();
        String text = new String(resp.body(), StandardCharsets.UTF_8).trim();
        if (status >= 500) {
            throw new Unavailable(method + " " + pathOnly(pathAndQuery) + ": HTTP " + status + " " + text);
        }
        if (status >= 400 && status != 404) {
            throw new Refused(method + " " + pathOnly(pathAndQuery) + ": HTTP " + status + " " + text
                    + (status == 403 ? " (check coordination.token and its ACL policy)" : ""));
        }
        long index = resp.headers().firstValueAsLong("X-Consul-Index").orElse(0);
        return new Answer(status, resp.body(), index);
    }

    /** {@link #send} through the retrier. */
    Answer call(Retrier retrier, String operation, String method, String pathAndQuery, byte[] body) {
        return retrier.call(operation, RETRYABLE, left -> send(method, pathAndQuery, body, left));
    }

    static byte[] json(Object o) {
        try {
            return JSON.writeValueAsBytes(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String pathOnly(String pathAndQuery) {
        int q = pathAndQuery.indexOf('?');
        return q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
    }
}
