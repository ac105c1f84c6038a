package dev.autopilot.cli.command;

import dev.autopilot.agent.config.AgentConfigLoader;
import dev.autopilot.agent.config.InvalidConfigException;
import dev.autopilot.backup.pitr.PointInTimeRestore;
import dev.autopilot.backup.pitr.RecoveryTarget;
import dev.autopilot.backup.restore.Restorer;
import dev.autopilot.cli.CommandFailure;
import dev.autopilot.cli.ExitCodes;
import dev.autopilot.mysql.config.MemberIdentity;
import dev.autopilot.mysql.config.ServerSettings;
import dev.autopilot.storage.SnapshotStore;
import dev.autopilot.storage.SnapshotStores;
import dev.autopilot.storage.StoreSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code autopilot restore --to <time|GTID> --target-dir DIR}: a point-in-time copy of the cluster's data — the
 * newest snapshot before the target plus the archived binlogs replayed up to it — in a new directory, from which
 * a server (or a whole new cluster) can be started. Runs here, not on an agent: it needs only the object store.
 */
@Command(name = "restore", mixinStandardHelpOptions = true,
        description = "Restore the cluster's data as of a time or GTID position into a new data directory.")
public final class RestoreCommand extends CliCommand {
    @Option(names = "--to", required = true, paramLabel = "TIME|GTID",
            description = "latest, a UTC time (2026-11-25T13:00:00Z) or a GTID position (0-1-1042) to restore to.")
    String to;

    @Option(names = "--target-dir", required = true, paramLabel = "DIR", description = "New data directory (must not exist or be empty).")
    Path targetDir;

    @Option(names = "--config", paramLabel = "FILE", description = "An agent's configuration file, for its backup.* object store.")
    Path config;

    @Option(names = "--store-dir", paramLabel = "DIR", description = "The object store as a directory (instead of --config).")
    Path storeDir;

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = ".local",
            description = "The local cluster's directory, whose backups/ is used when neither --config nor --store-dir is given.")
    Path localDir;

    @Override
    public Integer call() {
        RecoveryTarget target;
        try {
            target = RecoveryTarget.parse(to);
        } catch (IllegalArgumentException e) {
            throw CommandFailure.usage("--to " + e.getMessage());
        }
        Path dir = targetDir.toAbsolutePath().normalize();
        try (SnapshotStore store = SnapshotStores.open(storeSettings())) {
            Path work = Files.createTempDirectory("autopilot-restore-");
            PointInTimeRestore.Result result;
            try {
                ServerSettings server = PointInTimeRestore.temporaryServer(MemberIdentity.random(), dir, work);
                out().println("restoring " + to + " from " + store.location() + " into " + dir + " ...");
                out().flush();
                result = PointInTimeRestore.of(store, Restorer.withDefaults(), work).restore(target, server, Duration.ofMinutes(10));
            } finally {
                dev.autopilot.mysql.server.DataDirectory.delete(work); // the private server's socket and scratch: nothing to keep
            }
            out().printf("restored snapshot %s plus %d archived binlog(s) into %s; GTID position %s%n", result.snapshot().id(),
                    result.binlogsApplied(), result.datadir(), result.reached());
            out().println("start a server on it; to start a whole new cluster from the backup instead, see bootstrap.fromBackup");
            return ExitCodes.OK;
        } catch (IOException e) {
            throw CommandFailure.failed("restore to " + to + " failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CommandFailure.failed("interrupted");
        } catch (Exception e) {
            if (e instanceof CommandFailure f) {
                throw f;
            }
            throw CommandFailure.failed("restore to " + to + " failed: " + e.getMessage());
        }
    }

    private StoreSettings storeSettings() {
        if (storeDir != null) {
            return new StoreSettings.Directory(storeDir.toAbsolutePath());
        }
        if (config == null) {
            Path local = dev.autopilot.cli.local.LocalLayout.of(localDir).backups();
            if (Files.isDirectory(local)) {
                return new StoreSettings.Directory(local.toAbsolutePath());
            }
            throw CommandFailure.usage("say where the backups are: --config agent.yaml (its backup.* settings) or --store-dir DIR");
        }
        try {
            return new AgentConfigLoader(env()).load(Optional.of(config)).backup()
                    .orElseThrow(() -> CommandFailure.usage(config + " configures no object store (backup.directory, backup.s3.bucket or backup.manta.user)"))
                    .store();
        } catch (InvalidConfigException e) {
            throw CommandFailure.usage(config + " is invalid: " + String.join("; ", e.problems()));
        }
    }
}
