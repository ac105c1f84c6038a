package dev.autopilot.storage;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * The rules for keys and metadata, shared by every backend so that an object can move between them.
 *
 * <p>A key is 1..512 characters of {@code /}-separated segments; a segment is {@code [A-Za-z0-9._=+:@,-]+} and
 * does not start with a dot (names starting with a dot are the stores' own temporary files), and a key does not
 * end with {@value #MANIFEST_SUFFIX} (the suffix of the sidecar that records an object's size and digest).
 */
public final class ObjectKeys {

    /** Suffix of the sidecar manifest stored next to each object: {@code <key>.manifest.json}. */
    public static final String MANIFEST_SUFFIX = ".manifest.json";

    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_=+:@,-][A-Za-z0-9._=+:@,-]*");
    private static final Pattern METADATA_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    private static final int MAX_KEY = 512;
    private static final int MAX_METADATA_CHARS = 4096;

    private ObjectKeys() {
    }

    /** Returns {@code key}, or throws naming the key and the rule it breaks. */
    public static String requireValid(String key) {
        if (key == null || key.isEmpty() || key.length() > MAX_KEY) {
            throw new IllegalArgumentException("object key must be 1.." + MAX_KEY + " characters: '" + key + "'");
        }
        if (key.endsWith(MANIFEST_SUFFIX)) {
            throw new IllegalArgumentException("object key '" + key + "' ends with " + MANIFEST_SUFFIX
                    + ", which is reserved for the stores' manifests; choose another name");
        }
        for (String segment : key.split("/", -1)) {
            if (!SEGMENT.matcher(segment).matches()) {
                throw new IllegalArgumentException("object key '" + key + "' has an invalid segment '" + segment
                        + "': segments are [A-Za-z0-9._=+:@,-]+, not empty and not starting with '.'");
            }
        }
        return key;
    }

    /** Returns {@code metadata}, or throws naming the entry that breaks the rules. */
    public static Map<String, String> requireValidMetadata(Map<String, String> metadata) {
        int chars = 0;
        for (var e : metadata.entrySet()) {
            if (!METADATA_NAME.matcher(e.getKey()).matches()) {
                throw new IllegalArgumentException("metadata name '" + e.getKey()
                        + "' is invalid: use [a-z0-9][a-z0-9._-]{0,63}");
            }
            if (e.getValue() == null) {
                throw new IllegalArgumentException("metadata '" + e.getKey() + "' has no value");
            }
            chars += e.getKey().length() + e.getValue().length();
        }
        if (chars > MAX_METADATA_CHARS) {
            throw new IllegalArgumentException("metadata is " + chars + " characters, more than " + MAX_METADATA_CHARS);
        }
        return metadata;
    }
}
