package dev.autopilot.agent.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The bearer token mutating REST calls must carry ({@code Authorization: Bearer <cluster token>}). Compared
 * in constant time so response timing says nothing about how much of a guess was right.
 */
final class ApiToken {
    private static final String BEARER = "Bearer ";
    private final byte[] expected;

    ApiToken(String token) {
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("the REST API needs a non-empty cluster token (secrets: cluster-token)");
        }
        this.expected = token.getBytes(StandardCharsets.UTF_8);
    }

    /** Whether an {@code Authorization} header value carries the token. */
    boolean accepts(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return false;
        }
        byte[] given = authorization.substring(BEARER.length()).strip().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, expected);
    }
}
