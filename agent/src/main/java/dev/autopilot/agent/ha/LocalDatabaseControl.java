package dev.autopilot.agent.ha;

import dev.autopilot.agent.config.AgentConfig;
import dev.autopilot.agent.db.LocalDatabase;
import dev.autopilot.mysql.admin.DatabaseAdmin;
import dev.autopilot.mysql.flavor.ReplicationSource;
import dev.autopilot.mysql.gtid.GtidPosition;
import java.time.Duration;

/** {@link DatabaseControl} over this member's real server ({@link LocalDatabase}). */
public final class LocalDatabaseControl implements DatabaseControl {
    private final LocalDatabase db;
    private final AgentConfig config;

    public LocalDatabaseControl(LocalDatabase db, AgentConfig config) {
        this.db = db;
        this.config = config;
    }

    @Override
    public boolean fence() {
        return db.fence("HA rule").writesStopped();
    }

    @Override
    public boolean stop() {
        return db.killServer("HA rule: a zero-loss primary's server does not answer").writesStopped();
    }

    @Override
    public boolean processAlive() {
        return db.serverProcessRunning();
    }

    @Override
    public long serverId() {
        return db.identity().serverId();
    }

    @Override
    public GtidPosition position() {
        return db.admin().gtidPosition();
    }

    @Override
    public boolean awaitPosition(GtidPosition target, Duration timeout) {
        return db.admin().waitForGtid(target, timeout);
    }

    @Override
    public void stopReceiver() {
        db.admin().stopReceiver();
    }

    @Override
    public boolean awaitRelayLogApplied(Duration timeout) {
        return db.admin().waitForRelayLogApplied(timeout);
    }

    @Override
    public void detachReplication() {
        DatabaseAdmin admin = db.admin();
        admin.stopReplica();
        admin.resetReplica();
    }

    @Override
    public void prepareWrites() {
        DatabaseAdmin admin = db.admin();
        if (config.mysql().zeroLoss()) {
            // Before the first write: every commit from here on waits for a replica's acknowledgement (AFTER_SYNC).
            admin.semiSyncPrimary(true, config.mysql().semiSyncTimeout());
        }
    }

    @Override
    public void allowWrites(Duration authority) {
        db.deadManSwitch().arm(authority); // throws rather than open writes with no switch armed
        db.admin().readOnly(false);
    }

    @Override
    public void follow(ReplicationSource source, GtidPosition start) {
        DatabaseAdmin admin = db.admin();
        admin.readOnly(true);
        admin.stopReplica();
        if (config.mysql().zeroLoss()) {
            // A replica must not wait for acknowledgements of what it applies (see OptionFile).
            admin.semiSyncPrimary(false, config.mysql().semiSyncTimeout());
        }
        // Read only now that the SQL thread has stopped: what it applied since `start` was read must not be rewound.
        GtidPosition applied = admin.gtidSlavePosition().merge(admin.gtidPosition());
        admin.setGtidSlavePos(start.merge(applied).perDomain());
        admin.changePrimary(source);
        admin.startReplica();
    }

    @Override
    public void startReplica() {
        db.admin().startReplica();
    }

    @Override
    public void acknowledge(boolean enabled) {
        db.admin().semiSyncReplica(enabled);
    }
}
