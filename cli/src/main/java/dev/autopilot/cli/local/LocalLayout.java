package dev.autopilot.cli.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.autopilot.cli.cluster.JsonTree;
import dev.autopilot.cli.cluster.RecordJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where a local cluster keeps everything, under one directory (default {@code ./.local}):
 * <pre>
 *   state.json              what runs: cluster name, addresses, process ids (the pid file)
 *   secrets/                generated passwords and the cluster token, mode 0600
 *   etcd/                   the etcd data directory
 *   members/dbN/agent.yaml  each agent's configuration; members/dbN/data its data directory
 *   haproxy.cfg             the HAProxy configuration
 *   haproxy.sock            HAProxy's runtime API (admin level; only this user may open it)
 *   logs/NAME.log           one log per process (etcd, haproxy, db1, ...)
 * </pre>
 */
public record LocalLayout(Path root) {
    /** For writing only, built on first write: reading the state is on every quick command's path (see JsonTree). */
    private static final class Writer {
        static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }

    /** {@code dir}, or {@code ./.local} when null. */
    public static LocalLayout of(Path dir) {
        return new LocalLayout((dir == null ? Path.of(".local") : dir).toAbsolutePath().normalize());
    }

    public Path secrets() {
        return root.resolve("secrets");
    }

    /** The object store of the local cluster's snapshots and archived binlogs. */
    public Path backups() {
        return root.resolve("backups");
    }

    public Path etcdData() {
        return root.resolve("etcd");
    }

    public Path memberHome(String name) {
        return root.resolve("members").resolve(name);
    }

    public Path memberConfig(String name) {
        return memberHome(name).resolve("agent.yaml");
    }

    public Path log(String name) {
        return root.resolve("logs").resolve(name + ".log");
    }

    public Path haproxyConfig() {
        return root.resolve("haproxy.cfg");
    }

    /**
     * HAProxy's runtime API, through which the agents move the primary backend at once on a hand-over; empty when the
     * directory's path is too long for a Unix socket (107 bytes), and then HAProxy's checks alone route.
     */
    public Optional<Path> haproxySocket() {
        Path socket = root.resolve("haproxy.sock");
        return socket.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= 107 ? Optional.of(socket) : Optional.empty();
    }

    public Path stateFile() {
        return root.resolve("state.json");
    }

    /** The state of a cluster started here, if any. */
    public Optional<LocalState> readState() {
        if (!Files.isRegularFile(stateFile())) {
            return Optional.empty();
        }
        try {
            // Tree and record built without Jackson's data binding: on every quick command's path (see JsonTree).
            return Optional.of(RecordJson.read(JsonTree.parse(stateFile()), LocalState.class));
        } catch (IOException e) {
            throw new UncheckedIOException(unreadable(e), e);
        } catch (IllegalArgumentException e) {
            throw new UncheckedIOException(unreadable(e), new IOException(e));
        }
    }

    private String unreadable(Exception e) {
        return stateFile() + " is unreadable (" + e.getMessage() + "); remove it after stopping the processes";
    }

    public void writeState(LocalState state) {
        try {
            Path tmp = stateFile().resolveSibling("state.json.tmp");
            Writer.JSON.writeValue(tmp.toFile(), state);
            Files.move(tmp, stateFile(), java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + stateFile() + ": " + e.getMessage(), e);
        }
    }

    public void deleteState() {
        try {
            Files.deleteIfExists(stateFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
