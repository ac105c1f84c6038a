package dev.autopilot.cli.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the records a quick command receives ({@code MemberRecord} from {@code GET /cluster}, {@code LocalState}) from
 * a JSON tree by their components, as Jackson's data binding would for these plain records: a missing field is the
 * component's zero value, an unknown one is ignored. Written by hand for start-up time alone: binding a record with
 * Jackson builds a deserializer through annotation introspection on first use, which was about a third of
 * {@code status}'s run; this reads the record's components and calls its canonical constructor. Only the types these
 * records use are supported (strings, numbers, booleans, enums, lists and nested records); anything else is refused.
 */
public final class RecordJson {
    private RecordJson() {
    }

    /** The record of {@code type} that {@code node} describes. */
    public static <T extends Record> T read(JsonNode node, Class<T> type) {
        if (!node.isObject()) {
            throw new IllegalArgumentException(type.getSimpleName() + ": expected a JSON object, got " + node.getNodeType());
        }
        RecordComponent[] components = type.getRecordComponents();
        Class<?>[] types = new Class<?>[components.length];
        Object[] values = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
            values[i] = value(node.get(components[i].getName()), components[i].getGenericType(), type.getSimpleName() + "." + components[i].getName());
        }
        try {
            Constructor<T> canonical = type.getDeclaredConstructor(types);
            return canonical.newInstance(values);
        } catch (InvocationTargetException e) {
            throw new IllegalArgumentException(type.getSimpleName() + ": " + e.getCause().getMessage(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(type.getSimpleName() + " cannot be built from JSON: " + e, e);
        }
    }

    /** {@code node} as plain Java values: maps, lists, strings, longs, doubles, booleans and nulls (history details). */
    public static Object plain(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        if (node.isObject()) {
            Map<String, Object> map = new LinkedHashMap<>();
            node.properties().forEach(e -> map.put(e.getKey(), plain(e.getValue())));
            return map;
        }
        if (node.isArray()) {
            List<Object> list = new ArrayList<>();
            node.forEach(e -> list.add(plain(e)));
            return list;
        }
        if (node.isIntegralNumber()) {
            return node.asLong();
        }
        if (node.isNumber()) {
            return node.asDouble();
        }
        return node.isBoolean() ? node.asBoolean() : node.asText();
    }

    private static Object value(JsonNode n, Type generic, String where) {
        Class<?> raw = generic instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) generic;
        boolean absent = n == null || n.isNull();
        if (raw == String.class) {
            return absent ? null : n.asText();
        }
        if (raw == int.class) {
            return absent ? 0 : n.asInt();
        }
        if (raw == long.class) {
            return absent ? 0L : n.asLong();
        }
        if (raw == boolean.class) {
            return !absent && n.asBoolean();
        }
        if (raw == double.class) {
            return absent ? 0.0 : n.asDouble();
        }
        if (absent) {
            return null;
        }
        if (raw.isEnum()) {
            for (Object constant : raw.getEnumConstants()) {
                if (((Enum<?>) constant).name().equals(n.asText())) {
                    return constant;
                }
            }
            throw new IllegalArgumentException(where + ": unknown value '" + n.asText() + "'");
        }
        if (raw.isRecord()) {
            return read(n, raw.asSubclass(Record.class));
        }
        if (raw == List.class && generic instanceof ParameterizedType p && n.isArray()) {
            List<Object> list = new ArrayList<>();
            for (JsonNode element : n) {
                list.add(value(element, p.getActualTypeArguments()[0], where + "[]"));
            }
            return list;
        }
        throw new IllegalArgumentException(where + ": cannot read " + generic.getTypeName() + " from " + n.getNodeType());
    }
}
