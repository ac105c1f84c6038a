package dev.autopilot.supervisor.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A read-only view of one value produced by SnakeYAML's safe loader (maps, lists, scalars, null), with
 * just the questions the validator asks. SnakeYAML is used directly rather than through Jackson's tree
 * model: the Jackson databind classes alone cost about 4 MB of the supervisor's resident memory.
 */
record YamlNode(Object value) {
    private static final YamlNode MISSING = new YamlNode(null);

    boolean isNull() {
        return value == null;
    }

    boolean isObject() {
        return value instanceof Map<?, ?>;
    }

    boolean isArray() {
        return value instanceof List<?>;
    }

    boolean isTextual() {
        return value instanceof String;
    }

    boolean isNumber() {
        return value instanceof Number;
    }

    boolean isInt() {
        return value instanceof Integer;
    }

    boolean isBoolean() {
        return value instanceof Boolean;
    }

    /** A scalar: not a mapping, list or null. */
    boolean isValueNode() {
        return value != null && !isObject() && !isArray();
    }

    String asText() {
        return String.valueOf(value);
    }

    int asInt() {
        return ((Number) value).intValue();
    }

    boolean has(String key) {
        return value instanceof Map<?, ?> m && m.containsKey(key);
    }

    /** The value under {@code key}, or {@code null} when absent or this is not a mapping. */
    YamlNode get(String key) {
        return has(key) ? new YamlNode(((Map<?, ?>) value).get(key)) : null;
    }

    /** Like {@link #get(String)}, but a null-valued node instead of {@code null}. */
    YamlNode path(String key) {
        YamlNode n = get(key);
        return n == null ? MISSING : n;
    }

    int size() {
        return value instanceof List<?> l ? l.size() : value instanceof Map<?, ?> m ? m.size() : 0;
    }

    boolean isEmpty() {
        return size() == 0;
    }

    YamlNode get(int index) {
        return new YamlNode(((List<?>) value).get(index));
    }

    /** The entries of a mapping, keys as strings, in file order. */
    List<Map.Entry<String, YamlNode>> properties() {
        if (!(value instanceof Map<?, ?> m)) {
            return List.of();
        }
        Map<String, YamlNode> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(String.valueOf(k), new YamlNode(v)));
        return new ArrayList<>(out.entrySet());
    }
}
