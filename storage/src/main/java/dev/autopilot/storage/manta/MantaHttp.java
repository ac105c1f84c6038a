package dev.autopilot.storage.manta;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Signed requests to one Manta endpoint over the JDK's HTTP client. Requests that can be repeated (everything but a
 * streamed upload) are retried with jittered exponential backoff on transient failures (connection refused or reset,
 * timeouts, 5xx, 429), three attempts in all, so an outage is reported within seconds.
 */
final class MantaHttp implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MantaHttp.class);
    static final int ATTEMPTS = 3;
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(200);

    private final HttpClient client;
    private final URI base;
    private final RequestSigner signer;
    private final Duration readTimeout;
    private final MantaFailures failures;

    MantaHttp(URI base, RequestSigner signer, Duration connectTimeout, Duration readTimeout, MantaFailures failures) {
        this.client = HttpClient.newBuilder().connectTimeout(connectTimeout).version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER).build();
        this.base = base;
        this.signer = signer;
        this.readTimeout = readTimeout;
        this.failures = failures;
    }

    /** {@code path} ({@code /<account>/stor/a b}) as a URL of the endpoint, every segment percent-encoded. */
    URI uri(String path, String query) {
        StringBuilder encoded = new StringBuilder();
        for (String segment : path.substring(1).split("/", -1)) {
            encoded.append('/').append(URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        String host = base.toString().replaceAll("/+$", "");
        return URI.create(host + encoded + (query == null ? "" : "?" + query));
    }

    /** A request for {@code path} with the per-attempt read timeout (not yet signed). */
    HttpRequest.Builder request(String path, String query) {
        return HttpRequest.newBuilder(uri(path, query)).timeout(readTimeout);
    }

    MantaFailures failures() {
        return failures;
    }

    /**
     * Sends a repeatable request, signed afresh for each attempt; returns the first answer that is not transient,
     * or throws {@link dev.autopilot.storage.StoreUnavailableException} once the attempts are spent.
     */
    <T> HttpResponse<T> send(String action, HttpRequest.Builder request, HttpResponse.BodyHandler<T> body)
            throws IOException {
        Duration backoff = FIRST_BACKOFF;
        for (int attempt = 1; ; attempt++) {
            String why;
            Throwable cause = null;
            try {
                HttpResponse<T> response = client.send(signer.sign(request.copy()).build(), body);
                if (!MantaFailures.transientStatus(response.statusCode())) {
                    return response;
                }
                why = "HTTP " + response.statusCode();
                if (response.body() instanceof java.io.InputStream in) {
                    in.close();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted during " + action);
            } catch (IOException e) {
                why = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
                cause = e;
            }
            if (attempt == ATTEMPTS) {
                throw failures.unreachable(action, why + " after " + ATTEMPTS + " attempts", cause);
            }
            log.debug("{} failed ({}), attempt {} of {}; retrying in {} ms", action, why, attempt, ATTEMPTS, backoff.toMillis());
            pause(backoff, action);
            backoff = backoff.multipliedBy(2);
        }
    }

    /** Sends once (a streamed upload cannot be repeated); the caller interprets failures. */
    <T> java.util.concurrent.CompletableFuture<HttpResponse<T>> sendOnce(HttpRequest.Builder request,
                                                                       HttpResponse.BodyHandler<T> body) {
        return client.sendAsync(signer.sign(request).build(), body);
    }

    private static void pause(Duration backoff, String action) throws InterruptedIOException {
        try {
            // Jitter spreads the retries of several members that lost the store at the same moment.
            Thread.sleep(backoff.toMillis() + ThreadLocalRandom.current().nextLong(backoff.toMillis() / 2 + 1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted during " + action);
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
