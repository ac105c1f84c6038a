package dev.autopilot.agent.ha;

import dev.autopilot.mysql.flavor.ReplicationSource;
import dev.autopilot.mysql.gtid.GtidPosition;
import java.time.Duration;

/**
 * What the HA rules do to the local database: the narrow seam between the decisions ({@link HaCycle}) and the
 * server. {@link LocalDatabaseControl} is the real one; {@code HaCycleTest} drives the rules with an in-memory one.
 * Every method except {@link #fence()} and {@link #processAlive()} may throw a {@link RuntimeException} when the
 * server fails; the cycle treats that as a failed step.
 */
public interface DatabaseControl {

    /**
     * Makes sure the server accepts no more client writes: read-only and client sessions killed, escalating to
     * stopping the server hard when that does not work within a bound. Never throws.
     *
     * @return true when the server is verifiably read-only or no longer running; false when fencing failed
     */
    boolean fence();

    /**
     * Stops the server hard (SIGKILL) instead of fencing it: for a zero-loss primary whose server stalled, whose
     * waiting commits a session kill would commit unacknowledged; a killed server commits nothing, and its restart
     * truncates what no replica acknowledged. Never throws.
     *
     * @return true when the server no longer runs; false when it would not die
     */
    boolean stop();

    /** Whether the server's process still exists (a stalled server that does not answer is alive). */
    boolean processAlive();

    /** The {@code server_id} this member's server writes its own transactions under. */
    long serverId();

    /** Everything executed ({@code gtid_current_pos}). */
    GtidPosition position();

    /** Waits until the server has executed {@code target}; false when the timeout passed first. */
    boolean awaitPosition(GtidPosition target, Duration timeout);

    /** Stops only the receiver, so the applier can finish the relay log (stopping both would discard it). */
    void stopReceiver();

    /** Waits until the applier has executed everything the receiver fetched; false when the timeout passed first. */
    boolean awaitRelayLogApplied(Duration timeout);

    /** Replication stopped and forgotten (after the relay log was applied): the first step towards leading. */
    void detachReplication();

    /**
     * Everything before opening writes that does not yet let a client write, under the lock: in zero-loss mode the
     * primary side of semi-sync switched on so the first commit already waits for an acknowledgement.
     */
    void prepareWrites();

    /**
     * {@code read_only=OFF}, after arming the server's own dead-man switch to {@code authority} from now (the writes
     * close by themselves if the agent freezes). Called only by {@link WriteGate#open}, under the gate's lock.
     */
    void allowWrites(Duration authority);

    /**
     * Read-only, replication re-pointed at {@code source} and started, after {@code start} or after what the server has
     * applied once its replication is stopped, whichever is further: until stopped, the old source may still deliver
     * the new primary's first transactions (relayed by a member that re-pointed first), and rewinding past them would
     * apply them twice.
     */
    void follow(ReplicationSource source, GtidPosition start);

    /** Starts the replication threads again (after they stopped without an error). */
    void startReplica();

    /** Whether this replica acknowledges semi-sync writes (zero-loss mode; only eligible members do). */
    void acknowledge(boolean enabled);
}
