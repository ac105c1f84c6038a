package dev.autopilot.agent.cluster;

/** A member became primary; kept in the store for anti-flapping and shown by {@code status}. */
public record Promotion(String member, String previous, String reason, long atMillis) {
}
