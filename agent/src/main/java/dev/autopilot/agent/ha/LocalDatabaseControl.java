package dev.autopilot.agent.ha;

import dev.autopilot.agent.config.AgentConfig;
import dev.autopilot.agent.db.LocalDatabase;
import dev.autopilot.mysql.admin.DatabaseAdmin;
import dev.autopilot.mysql.flavor.ReplicationSource;
import dev.autopilot.mysql.gtid.GtidPosition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link DatabaseControl} over this member's real server ({@link LocalDatabase}). */
public final class LocalDatabaseControl implements DatabaseControl {
    private static final Logger LOG = LoggerFactory.getLogger(LocalDatabaseControl.class);

    private final LocalDatabase db;
    private final AgentConfig config;

    public LocalDatabaseControl(LocalDatabase db, AgentConfig config) {
        this.db = db;
        this.config = config;
    }

    @Override
    public boolean fence() {
        try {
            int killed = db.fence();
            LOG.info("{}: fenced: read-only, {} client connection(s) killed", config.member().name(), killed);
            return true;
        } catch (RuntimeException e) {
            LOG.error("{}: fencing failed: {}", config.member().name(), e.getMessage());
            return !processAlive();
        }
    }

    @Override
    public boolean processAlive() {
        Path pidFile = db.server().settings().pidFile();
        try {
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            Path stat = Path.of("/proc", Long.toString(pid), "stat");
            if (!Files.exists(stat)) {
                return false;
            }
            String s = Files.readString(stat);
            char state = s.charAt(s.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException | RuntimeException e) {
            return false; // no pid file: the server removed it on exit, or never started
        }
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
    public void prepareWrites() {
        DatabaseAdmin admin = db.admin();
        admin.stopReplica();
        admin.resetReplica();
        if (config.mysql().zeroLoss()) {
            // Before the first write: every commit from here on waits for a replica's acknowledgement (AFTER_SYNC).
            admin.semiSyncPrimary(true, config.mysql().semiSyncTimeout());
        }
    }

    @Override
    public void allowWrites() {
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
        admin.setGtidSlavePos(start);
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
