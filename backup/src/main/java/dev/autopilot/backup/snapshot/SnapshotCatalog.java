package dev.autopilot.backup.snapshot;

import dev.autopilot.storage.SnapshotStore;
import dev.autopilot.storage.StoredObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The snapshots in a store, newest first. Layout: {@code snapshots/<id>/backup.xbstream.zst} and
 * {@code snapshots/<id>/meta.json}; ids are the UTC start time, so key order is time order. A snapshot is
 * complete when both objects are there and the data object's size and SHA-256 are those its metadata records;
 * anything else (an upload that died, a stray object) is left out and logged once.
 */
public final class SnapshotCatalog {

    private static final Logger log = LoggerFactory.getLogger(SnapshotCatalog.class);
    static final String PREFIX = "snapshots/";
    private static final String DATA = "backup.xbstream.zst";
    private static final String META = "meta.json";
    private static final DateTimeFormatter ID = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);

    private final SnapshotStore store;
    private final Set<String> reportedIncomplete = java.util.concurrent.ConcurrentHashMap.newKeySet();

    public SnapshotCatalog(SnapshotStore store) {
        this.store = store;
    }

    static String idFor(Instant started) {
        return ID.format(started);
    }

    static String dataKey(String id) {
        return PREFIX + id + "/" + DATA;
    }

    static String metaKey(String id) {
        return PREFIX + id + "/" + META;
    }

    /** Complete snapshots, newest first. @throws dev.autopilot.storage.StoreUnavailableException store unreachable */
    public List<SnapshotInfo> list() throws IOException {
        Map<String, StoredObject> data = new HashMap<>();
        Map<String, StoredObject> meta = new HashMap<>();
        for (StoredObject o : store.list(PREFIX)) {
            String[] parts = o.key().substring(PREFIX.length()).split("/");
            if (parts.length != 2) {
                continue;
            }
            if (parts[1].equals(DATA)) {
                data.put(parts[0], o);
            } else if (parts[1].equals(META)) {
                meta.put(parts[0], o);
            }
        }
        List<SnapshotInfo> out = new ArrayList<>();
        Set<String> ids = new HashSet<>(data.keySet());
        ids.addAll(meta.keySet());
        for (String id : ids) {
            StoredObject d = data.get(id);
            StoredObject m = meta.get(id);
            if (d == null || m == null) {
                reportOnce(id, d == null ? "its data object is missing" : "it has no metadata (an upload that did not finish)");
                continue;
            }
            readMeta(m).filter(info -> matches(info, d)).ifPresent(out::add);
        }
        out.sort(Comparator.comparing(SnapshotInfo::id).reversed());
        return out;
    }

    /** The newest complete snapshot. */
    public Optional<SnapshotInfo> latest() throws IOException {
        return list().stream().findFirst();
    }

    /** Deletes a snapshot: metadata first, so it stops being complete before its data goes. */
    public void delete(SnapshotInfo snapshot) throws IOException {
        store.delete(metaKey(snapshot.id()));
        store.delete(snapshot.dataKey());
        log.info("deleted snapshot {} ({} bytes, GTID position {}) from {}", snapshot.id(), snapshot.size(),
                snapshot.gtidPosition(), store.location());
    }

    private Optional<SnapshotInfo> readMeta(StoredObject m) throws IOException {
        try (InputStream in = store.get(m.key())) {
            return Optional.of(SnapshotMeta.decode(in.readAllBytes()));
        } catch (dev.autopilot.storage.ObjectNotFoundException gone) {
            return Optional.empty(); // deleted while we listed
        } catch (IOException e) {
            if (e instanceof dev.autopilot.storage.CorruptObjectException || e instanceof com.fasterxml.jackson.core.JacksonException) {
                reportOnce(m.key(), "its metadata is unreadable: " + e.getMessage());
                return Optional.empty();
            }
            throw e;
        }
    }

    private boolean matches(SnapshotInfo info, StoredObject data) {
        if (info.size() == data.size() && info.sha256().equals(data.sha256()) && info.dataKey().equals(data.key())) {
            return true;
        }
        reportOnce(info.id(), "its data object (" + data.size() + " bytes, sha256 " + data.sha256()
                + ") is not the one its metadata records (" + info.size() + " bytes, sha256 " + info.sha256() + ")");
        return false;
    }

    private void reportOnce(String what, String why) {
        if (reportedIncomplete.add(what + why)) {
            log.warn("snapshot {} in {} is not usable and is left out: {}", what, store.location(), why);
        }
    }
}
