package dev.autopilot.cli.cluster;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Parses JSON into Jackson's tree ({@link JsonNode}) with the streaming parser and the node factory alone. Written by
 * hand for start-up time: {@code ObjectMapper.readTree} first builds the mapper and its deserialization context, some
 * 400 classes and about a fifth of a quick command's run ({@code status}), for a tree these dozen lines build too.
 */
public final class JsonTree {
    /** Shared, thread-safe: the streaming factory is all a quick command needs to read and write JSON. */
    public static final JsonFactory FACTORY = new JsonFactory();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private JsonTree() {
    }

    /** The tree of {@code text}; throws {@link IOException} on malformed JSON. */
    public static JsonNode parse(String text) throws IOException {
        try (JsonParser p = FACTORY.createParser(text)) {
            return document(p);
        }
    }

    /** The tree of the JSON file {@code file}. */
    public static JsonNode parse(Path file) throws IOException {
        try (JsonParser p = FACTORY.createParser(Files.readAllBytes(file))) {
            return document(p);
        }
    }

    private static JsonNode document(JsonParser p) throws IOException {
        JsonToken first = p.nextToken();
        if (first == null) {
            throw new IOException("empty JSON document");
        }
        JsonNode root = value(p, first);
        if (p.nextToken() != null) {
            throw new IOException("trailing content after the JSON value at " + p.currentLocation());
        }
        return root;
    }

    private static JsonNode value(JsonParser p, JsonToken t) throws IOException {
        return switch (t) {
            case START_OBJECT -> {
                ObjectNode o = NODES.objectNode();
                for (JsonToken n = p.nextToken(); n != JsonToken.END_OBJECT; n = p.nextToken()) {
                    String name = p.currentName();
                    o.set(name, value(p, p.nextToken()));
                }
                yield o;
            }
            case START_ARRAY -> {
                ArrayNode a = NODES.arrayNode();
                for (JsonToken n = p.nextToken(); n != JsonToken.END_ARRAY; n = p.nextToken()) {
                    a.add(value(p, n));
                }
                yield a;
            }
            case VALUE_STRING -> NODES.textNode(p.getText());
            case VALUE_NUMBER_INT -> switch (p.getNumberType()) {
                case INT -> NODES.numberNode(p.getIntValue());
                case LONG -> NODES.numberNode(p.getLongValue());
                default -> NODES.numberNode(p.getBigIntegerValue());
            };
            case VALUE_NUMBER_FLOAT -> NODES.numberNode(p.getDoubleValue());
            case VALUE_TRUE -> NODES.booleanNode(true);
            case VALUE_FALSE -> NODES.booleanNode(false);
            case VALUE_NULL -> NODES.nullNode();
            default -> throw new IOException("unexpected JSON token " + t + " at " + p.currentLocation());
        };
    }
}
