package dev.autopilot.storage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.time.Instant;
import java.util.Map;

/**
 * The sidecar written next to each object as its last step ({@code <key>.manifest.json}): its presence is what
 * makes the object visible, and it carries the size, SHA-256 and metadata that reads are checked against.
 *
 * <pre>{"format":1,"key":"...","size":123,"sha256":"ab..","created":"2026-...Z","metadata":{"k":"v"}}</pre>
 */
public final class Manifest {

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final int FORMAT = 1;

    private record Document(int format, String key, long size, String sha256, String created,
                            Map<String, String> metadata) {
    }

    private Manifest() {
    }

    public static byte[] encode(StoredObject object) {
        try {
            return JSON.writeValueAsBytes(new Document(FORMAT, object.key(), object.size(), object.sha256(),
                    object.created().toString(), object.metadata()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode manifest of " + object.key(), e);
        }
    }

    /** Parses a manifest read from {@code where}; a damaged one is reported as a corrupt object. */
    public static StoredObject decode(String key, byte[] json, String where) throws CorruptObjectException {
        try {
            Document d = JSON.readValue(json, Document.class);
            if (d.format() != FORMAT || !key.equals(d.key()) || d.sha256() == null || d.created() == null) {
                throw new IOException("unexpected content");
            }
            return new StoredObject(d.key(), d.size(), d.sha256(), Instant.parse(d.created()),
                    d.metadata() == null ? Map.of() : d.metadata());
        } catch (IOException | RuntimeException e) {
            throw new CorruptObjectException(key, "unknown", "unknown", "its manifest " + where
                    + " is unreadable: " + e.getMessage());
        }
    }
}
