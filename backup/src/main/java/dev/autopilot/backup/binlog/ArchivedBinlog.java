package dev.autopilot.backup.binlog;

import dev.autopilot.mysql.gtid.Gtid;
import dev.autopilot.storage.StoredObject;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One closed binlog in the archive: {@code binlogs/<server_id>/<file>.<created>.zst}. Keys never collide between
 * primaries (the server id is part of them), nor between two files of the same name on one server (a member rebuilt
 * with its identity kept starts again at binlog 000001; the file's creation time tells them apart); a transaction
 * that appears in the archives of two primaries (the
 * new primary logged it as a replica) carries the same GTID in both, so replay skips it by GTID.
 *
 * @param key      the object's key
 * @param serverId the server that wrote the binlog
 * @param file     its file name on that server
 * @param range    the transactions it holds; empty for a binlog without any
 * @param size     compressed size in the store
 * @param archived when it was archived
 */
public record ArchivedBinlog(String key, long serverId, String file, Optional<BinlogSummary> range, long size,
                             Instant archived) {

    public static final String PREFIX = "binlogs/";

    public ArchivedBinlog {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(range, "range");
    }

    static String keyFor(long serverId, String file, Instant created) {
        return PREFIX + serverId + "/" + file + "." + created.getEpochSecond() + ".zst";
    }

    Map<String, String> metadata() {
        Map<String, String> m = new HashMap<>();
        m.put("server-id", Long.toString(serverId));
        m.put("file", file);
        range.ifPresent(r -> {
            m.put("first-gtid", r.firstGtid().toString());
            m.put("last-gtid", r.lastGtid().toString());
            m.put("first-time", r.firstTime().toString());
            m.put("last-time", r.lastTime().toString());
        });
        return m;
    }

    /** Reads an archived binlog back from its stored object; empty for an object that is not one. */
    public static Optional<ArchivedBinlog> from(StoredObject o) {
        Map<String, String> m = o.metadata();
        if (!o.key().startsWith(PREFIX) || !m.containsKey("server-id") || !m.containsKey("file")) {
            return Optional.empty();
        }
        Optional<BinlogSummary> range = m.containsKey("first-gtid")
                ? Optional.of(new BinlogSummary(Gtid.parse(m.get("first-gtid")), Gtid.parse(m.get("last-gtid")),
                        Instant.parse(m.get("first-time")), Instant.parse(m.get("last-time"))))
                : Optional.empty();
        return Optional.of(new ArchivedBinlog(o.key(), Long.parseLong(m.get("server-id")), m.get("file"), range,
                o.size(), o.created()));
    }
}
