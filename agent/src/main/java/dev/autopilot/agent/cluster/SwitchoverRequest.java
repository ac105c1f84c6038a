package dev.autopilot.agent.cluster;

/**
 * A planned switchover asked for by an operator (or a graceful stop of the primary): {@code from} steps
 * down, {@code to} (or the best replica when empty) takes over once it has applied {@code finalPosition},
 * the old primary's last GTID position, which the old primary fills in when it has gone read-only.
 *
 * @param handed set by the old primary together with {@code finalPosition}: that position may be empty (a cluster
 *               without a transaction yet), so emptiness alone cannot say whether the hand-over happened
 */
public record SwitchoverRequest(String from, String to, long requestedAtMillis, String finalPosition, boolean handed) {
    public SwitchoverRequest {
        to = to == null ? "" : to;
        finalPosition = finalPosition == null ? "" : finalPosition;
    }

    /** A request the old primary has not acted on yet. */
    public SwitchoverRequest(String from, String to, long requestedAtMillis, String finalPosition) {
        this(from, to, requestedAtMillis, finalPosition, false);
    }

    /** Whether the old primary went read-only and handed its final position over (a request of an older agent: non-empty). */
    public boolean handedOver() {
        return handed || !finalPosition.isEmpty();
    }
}
