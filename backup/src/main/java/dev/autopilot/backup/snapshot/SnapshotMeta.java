package dev.autopilot.backup.snapshot;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autopilot.mysql.gtid.GtidPosition;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;

/**
 * The JSON of a snapshot's {@code meta.json} object. Written last: its presence (with a data object of the
 * recorded size and digest) is what makes a snapshot complete.
 */
final class SnapshotMeta {

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    static final int FORMAT = 1;

    record Document(int format, String id, String dataKey, String created, String source, String serverVersion,
                    String gtidPosition, String binlogFile, long binlogOffset, long size, String sha256,
                    long durationMillis) {
    }

    private SnapshotMeta() {
    }

    static byte[] encode(SnapshotInfo s) {
        try {
            return JSON.writeValueAsBytes(new Document(FORMAT, s.id(), s.dataKey(), s.created().toString(), s.source(),
                    s.serverVersion(), s.gtidPosition().format(), s.binlogFile(), s.binlogOffset(), s.size(), s.sha256(),
                    s.duration().toMillis()));
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode the metadata of snapshot " + s.id(), e);
        }
    }

    static SnapshotInfo decode(byte[] json) throws IOException {
        Document d = JSON.readValue(json, Document.class);
        if (d.format() != FORMAT || d.id() == null || d.dataKey() == null || d.sha256() == null || d.created() == null) {
            throw new IOException("snapshot metadata has format " + d.format() + " or misses id/dataKey/sha256/created");
        }
        return new SnapshotInfo(d.id(), d.dataKey(), Instant.parse(d.created()), d.source(), d.serverVersion(),
                GtidPosition.parse(d.gtidPosition() == null ? "" : d.gtidPosition()), d.binlogFile(), d.binlogOffset(),
                d.size(), d.sha256(), Duration.ofMillis(d.durationMillis()));
    }
}
