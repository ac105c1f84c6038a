package dev.autopilot.cli.cluster;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Parses JSON into Jackson's tree ({@link JsonNode}) the way {@code ObjectMapper.readTree} does (ints, longs, big
 * integers and doubles as Jackson types them; strict JSON), with a recursive-descent parser of its own. Written by hand
 * for start-up time: {@code ObjectMapper.readTree} first builds the mapper and its deserialization context (some 400
 * classes, about a fifth of {@code status}'s run), and even Jackson's streaming parser initializes
 * {@code java.math.BigDecimal} (its parser base class keeps BigDecimal bounds), whose class initializer in JDK 25
 * computes 5^65536 — 25-45 ms of a quick command in C1-compiled and interpreted code.
 */
public final class JsonTree {
    /** Shared, thread-safe: the streaming factory that quick commands write JSON with (a generator, no BigDecimal). */
    public static final JsonFactory FACTORY = new JsonFactory();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** As Jackson's default nesting limit: deeper input is an error, not a stack overflow. */
    private static final int MAX_DEPTH = 1000;

    private final String text;
    private int at;

    private JsonTree(String text) {
        this.text = text;
    }

    /** The tree of {@code text}; throws {@link IOException} on malformed JSON. */
    public static JsonNode parse(String text) throws IOException {
        JsonTree p = new JsonTree(text);
        p.skipSpace();
        if (p.at == text.length()) {
            throw new IOException("empty JSON document");
        }
        JsonNode root = p.value(0);
        p.skipSpace();
        if (p.at != text.length()) {
            throw p.error("trailing content after the JSON value");
        }
        return root;
    }

    /** The tree of the JSON file {@code file}. */
    public static JsonNode parse(Path file) throws IOException {
        return parse(new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
    }

    private JsonNode value(int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH);
        }
        char c = peek();
        return switch (c) {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> NODES.textNode(string());
            case 't' -> literal("true", NODES.booleanNode(true));
            case 'f' -> literal("false", NODES.booleanNode(false));
            case 'n' -> literal("null", NODES.nullNode());
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield number();
                }
                throw error("unexpected character '" + c + "'");
            }
        };
    }

    private ObjectNode object(int depth) throws IOException {
        ObjectNode o = NODES.objectNode();
        at++; // {
        skipSpace();
        if (peek() == '}') {
            at++;
            return o;
        }
        while (true) {
            skipSpace();
            if (peek() != '"') {
                throw error("expected a field name");
            }
            String name = string();
            skipSpace();
            expect(':');
            skipSpace();
            o.set(name, value(depth + 1));
            skipSpace();
            char c = next();
            if (c == '}') {
                return o;
            }
            if (c != ',') {
                throw error("expected ',' or '}' in an object");
            }
        }
    }

    private ArrayNode array(int depth) throws IOException {
        ArrayNode a = NODES.arrayNode();
        at++; // [
        skipSpace();
        if (peek() == ']') {
            at++;
            return a;
        }
        while (true) {
            skipSpace();
            a.add(value(depth + 1));
            skipSpace();
            char c = next();
            if (c == ']') {
                return a;
            }
            if (c != ',') {
                throw error("expected ',' or ']' in an array");
            }
        }
    }

    private String string() throws IOException {
        at++; // opening quote
        StringBuilder out = null; // only when the string has escapes
        int start = at;
        while (true) {
            char c = next();
            if (c == '"') {
                return out == null ? text.substring(start, at - 1) : out.toString();
            }
            if (c < 0x20) {
                throw error("unescaped control character in a string");
            }
            if (c == '\\') {
                if (out == null) {
                    out = new StringBuilder().append(text, start, at - 1);
                }
                char e = next();
                switch (e) {
                    case '"', '\\', '/' -> out.append(e);
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'n' -> out.append('\n');
                    case 'r' -> out.append('\r');
                    case 't' -> out.append('\t');
                    case 'u' -> {
                        if (at + 4 > text.length()) {
                            throw error("truncated \\u escape");
                        }
                        int code = 0;
                        for (int i = 0; i < 4; i++) {
                            int digit = Character.digit(text.charAt(at++), 16);
                            if (digit < 0) {
                                throw error("bad \\u escape");
                            }
                            code = code * 16 + digit;
                        }
                        out.append((char) code);
                    }
                    default -> throw error("bad escape '\\" + e + "'");
                }
            } else if (out != null) {
                out.append(c);
            }
        }
    }

    /** A JSON number: an int, long or big integer node when it has no fraction or exponent (as Jackson), else a double. */
    private JsonNode number() throws IOException {
        int start = at;
        if (peek() == '-') {
            at++;
        }
        if (peek() == '0') {
            at++;
        } else if (!digits()) {
            throw error("expected a digit");
        }
        boolean integral = true;
        if (at < text.length() && text.charAt(at) == '.') {
            at++;
            integral = false;
            if (!digits()) {
                throw error("expected a digit after '.'");
            }
        }
        if (at < text.length() && (text.charAt(at) == 'e' || text.charAt(at) == 'E')) {
            at++;
            integral = false;
            if (at < text.length() && (text.charAt(at) == '+' || text.charAt(at) == '-')) {
                at++;
            }
            if (!digits()) {
                throw error("expected a digit in the exponent");
            }
        }
        String n = text.substring(start, at);
        if (!integral) {
            return NODES.numberNode(Double.parseDouble(n));
        }
        if (n.length() <= 18) { // always fits a long
            long v = Long.parseLong(n);
            return v == (int) v ? NODES.numberNode((int) v) : NODES.numberNode(v);
        }
        BigInteger v = new BigInteger(n);
        return v.bitLength() < 64 ? NODES.numberNode(v.longValue()) : NODES.numberNode(v);
    }

    private boolean digits() {
        int start = at;
        while (at < text.length() && text.charAt(at) >= '0' && text.charAt(at) <= '9') {
            at++;
        }
        return at > start;
    }

    private JsonNode literal(String word, JsonNode node) throws IOException {
        if (!text.startsWith(word, at)) {
            throw error("unexpected token");
        }
        at += word.length();
        return node;
    }

    private void expect(char c) throws IOException {
        if (next() != c) {
            throw error("expected '" + c + "'");
        }
    }

    private char peek() throws IOException {
        if (at >= text.length()) {
            throw error("unexpected end of input");
        }
        return text.charAt(at);
    }

    private char next() throws IOException {
        char c = peek();
        at++;
        return c;
    }

    private void skipSpace() {
        while (at < text.length()) {
            char c = text.charAt(at);
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                return;
            }
            at++;
        }
    }

    private IOException error(String what) {
        return new IOException(what + " at offset " + at);
    }
}
