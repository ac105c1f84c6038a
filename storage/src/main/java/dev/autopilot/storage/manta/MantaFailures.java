package dev.autopilot.storage.manta;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autopilot.storage.StoreUnavailableException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The one place where Manta's answers become the store's error contract: cannot reach it (connection refused or
 * reset, timeouts, 5xx and 429 after retries) is {@link StoreUnavailableException}; a refusal is an
 * {@link IOException} naming what to fix. Manta's error bodies are {@code {"code":"...","message":"..."}}.
 */
final class MantaFailures {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String location;
    private final String user;
    private final String keyId;

    MantaFailures(String location, String user, String keyId) {
        this.location = location;
        this.user = user;
        this.keyId = keyId;
    }

    /** Whether an HTTP status means "try again": the service is overloaded, restarting or not there. */
    static boolean transientStatus(int status) {
        return status >= 500 || status == 429 || status == 408;
    }

    StoreUnavailableException unreachable(String action, String why, Throwable cause) {
        return new StoreUnavailableException("object store " + location + " is unreachable (" + action + "): " + why
                + "; the caller should retry later", cause);
    }

    /** The refusal of {@code action} with {@code status} and Manta's error {@code body}. */
    IOException refused(String action, int status, byte[] body) {
        String code = "";
        String message = "";
        try {
            JsonNode error = JSON.readTree(body);
            if (error != null) {
                code = error.path("code").asText("");
                message = error.path("message").asText("");
            }
        } catch (IOException | RuntimeException notJson) {
            message = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8);
        }
        String detail = (code.isEmpty() ? "HTTP " + status : code + " (HTTP " + status + ")")
                + (message.isEmpty() ? "" : ": " + message);
        if (status == 401 || status == 403) {
            return new MantaAuthorizationException("object store " + location + " refused " + action + " for user '"
                    + user + "' signing with key " + keyId + ": " + detail + "; check storage.manta.user / subuser /"
                    + " key-id (MANTA_USER, MANTA_SUBUSER, MANTA_KEY_ID), that this key is one of the account's keys,"
                    + " and the roles' access to the directory");
        }
        if (code.equals("DirectoryDoesNotExistError") || code.equals("ParentNotDirectoryError")) {
            return new IOException("object store " + location + " refused " + action + ": " + detail
                    + "; a directory on the way is missing or is an object (was it removed while in use?)");
        }
        return new IOException("object store " + location + " refused " + action + ": " + detail);
    }
}
