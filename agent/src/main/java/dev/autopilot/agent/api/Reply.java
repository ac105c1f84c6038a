package dev.autopilot.agent.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** One HTTP answer of the REST API: status, content type and body. */
record Reply(int status, String contentType, byte[] body) {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    static Reply json(int status, Object value) {
        try {
            return new Reply(status, "application/json", (JSON.writeValueAsString(value) + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code {"message": ...}} for success, {@code {"error": ...}} otherwise. */
    static Reply message(int status, String text) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put(status < 400 ? "message" : "error", text);
        return json(status, body);
    }

    static Reply text(int status, String contentType, String text) {
        return new Reply(status, contentType, text.getBytes(StandardCharsets.UTF_8));
    }
}
