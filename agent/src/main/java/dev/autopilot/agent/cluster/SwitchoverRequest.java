package dev.autopilot.agent.cluster;

/**
 * A planned switchover asked for by an operator (or a graceful stop of the primary): {@code from} steps
 * down, {@code to} (or the best replica when empty) takes over once it has applied {@code finalPosition},
 * the old primary's last GTID position, which the old primary fills in when it has gone read-only.
 */
public record SwitchoverRequest(String from, String to, long requestedAtMillis, String finalPosition) {
    public SwitchoverRequest {
        to = to == null ? "" : to;
        finalPosition = finalPosition == null ? "" : finalPosition;
    }
}
