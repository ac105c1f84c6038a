package dev.autopilot.agent.ha;

import dev.autopilot.agent.db.DatabaseReading;
import dev.autopilot.mysql.flavor.ReplicationSource;
import dev.autopilot.mysql.flavor.ReplicationStatus;
import dev.autopilot.mysql.gtid.GtidPosition;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The database side of one simulated member for the scale bench: every step the HA cycle takes succeeds at once, the
 * position never moves (no client writes), and a replica's receiver is connected while its source's database runs.
 * What the bench measures is the coordination code around it (HaLoop, HaCycle, the store), not a database.
 */
final class SimulatedDatabase implements DatabaseControl {
    private static final GtidPosition POSITION = GtidPosition.parse("0-1-10");

    private final long serverId;
    /** Every simulated database by address:port, to tell whether a replica's source still runs. */
    private final Map<String, SimulatedDatabase> byAddress;
    private volatile boolean readOnly = true;
    private volatile boolean alive = true;
    private volatile ReplicationSource source;

    SimulatedDatabase(long serverId, Map<String, SimulatedDatabase> byAddress) {
        this.serverId = serverId;
        this.byAddress = byAddress;
    }

    /** The reading an HA cycle starts with. */
    DatabaseReading read() {
        if (!alive) {
            return DatabaseReading.unreachable("simulated crash");
        }
        ReplicationSource s = source;
        ReplicationStatus replication = ReplicationStatus.notConfigured();
        if (s != null) {
            SimulatedDatabase primary = byAddress.get(s.host() + ":" + s.port());
            boolean connected = primary != null && primary.alive;
            replication = new ReplicationStatus(true, connected ? ReplicationStatus.IoState.RUNNING : ReplicationStatus.IoState.CONNECTING,
                    true, 0, "", 0, "", Optional.of(0L), s.host(), s.port(), "", "Slave has read all relay log");
        }
        return new DatabaseReading(true, readOnly, POSITION.perDomain(), POSITION, GtidPosition.empty(), replication, "10.11.6", "");
    }

    /** The server dies with its host (the bench's node crash). */
    void crash() {
        alive = false;
    }

    @Override
    public boolean fence() {
        readOnly = true;
        return true;
    }

    @Override
    public boolean stop() {
        alive = false;
        return true;
    }

    @Override
    public boolean processAlive() {
        return alive;
    }

    @Override
    public long serverId() {
        return serverId;
    }

    @Override
    public GtidPosition position() {
        return POSITION;
    }

    @Override
    public boolean awaitPosition(GtidPosition target, Duration timeout) {
        return true;
    }

    @Override
    public void stopReceiver() {
    }

    @Override
    public boolean awaitRelayLogApplied(Duration timeout) {
        return true;
    }

    @Override
    public void detachReplication() {
        source = null;
    }

    @Override
    public void prepareWrites() {
    }

    @Override
    public void allowWrites(Duration authority) {
        source = null;
        readOnly = false;
    }

    @Override
    public void follow(ReplicationSource to, GtidPosition start) {
        readOnly = true;
        source = to;
    }

    @Override
    public void startReplica() {
    }

    @Override
    public void acknowledge(boolean enabled) {
    }
}
