package dev.autopilot.agent.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;

/**
 * The web console's files ({@code GET /ui}): one HTML page, its style sheet and its script, plain files in the agent's
 * jar — no build step, nothing fetched from elsewhere, so it works offline. The page reads {@code /cluster},
 * {@code /history} and {@code /backups} and calls the token-guarded POSTs; the token stays in the page.
 *
 * <p>Served with a Content-Security-Policy that allows only this agent's own script, style and API ({@code connect-src
 * 'self'}), no inline script or style, no framing: data shown by the page (member errors, history messages) is
 * inserted as text, and even a mistake there could not run script.
 */
final class Console {
    static final String POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self';"
            + " base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    private static final Map<String, String> FILES = Map.of(
            "/ui", "index.html",
            "/ui/", "index.html",
            "/ui/console.css", "console.css",
            "/ui/console.js", "console.js");

    private Console() {
    }

    /** Whether {@code path} is one of the console's files. */
    static boolean serves(String path) {
        return FILES.containsKey(path);
    }

    /** The file at {@code path}, or empty when there is none. */
    static Optional<Reply> file(String path) {
        String name = FILES.get(path);
        if (name == null) {
            return Optional.empty();
        }
        try (InputStream in = Console.class.getResourceAsStream("ui/" + name)) {
            if (in == null) {
                throw new IllegalStateException("console file ui/" + name + " missing from the agent's jar");
            }
            String type = name.endsWith(".html") ? "text/html; charset=utf-8"
                    : name.endsWith(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8";
            return Optional.of(new Reply(200, type, in.readAllBytes()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
