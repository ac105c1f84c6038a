package dev.autopilot.mysql.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The identity of one member's data: a random 64-bit id created with the data, and kept in {@value #FILE_NAME}
 * inside it. The MySQL {@code server_id} is derived from it, so it survives restarts, address changes and container
 * rescheduling, and two members never share one by accident (the original design used 4 hex digits of an address).
 *
 * <p>Data replaced by a copy (a snapshot or a live clone) gets a new identity: the copy may be older than
 * transactions this member wrote under its old {@code server_id}, and a replica skips every event that carries its
 * own {@code server_id}, so under the old one it would never get them back (see {@code docs/why.md}).
 */
public record MemberIdentity(long memberId) {

    /** File name inside the data directory. */
    public static final String FILE_NAME = "autopilot-member.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A new random identity. */
    public static MemberIdentity random() {
        return new MemberIdentity(new SecureRandom().nextLong());
    }

    /**
     * The 32-bit {@code server_id}: both halves of the id folded together, never 0 (0 disables
     * replication). Two members collide with probability about n²/2³³ — negligible for clusters of a few nodes.
     */
    public long serverId() {
        long folded = (memberId ^ (memberId >>> 32)) & 0xFFFF_FFFFL;
        return folded == 0 ? 1 : folded;
    }

    /** The id as 16 hex digits, as written in the file and shown to operators. */
    public String hex() {
        return HexFormat.of().toHexDigits(memberId);
    }

    /** Reads the identity file of {@code dataDir}, if there is one. */
    public static Optional<MemberIdentity> load(Path dataDir) {
        Path file = dataDir.resolve(FILE_NAME);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            JsonNode node = JSON.readTree(file.toFile());
            JsonNode id = node == null ? null : node.get("memberId");
            if (id == null || !id.isTextual() || id.asText().length() != 16) {
                throw new IllegalStateException(file + " is damaged: expected {\"memberId\": \"<16 hex digits>\"}; "
                        + "restore it or move the data directory aside");
            }
            return Optional.of(new MemberIdentity(HexFormat.fromHexDigitsToLong(id.asText())));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read member identity " + file + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(file + " is damaged (" + e.getMessage() + "); restore it or move the data directory aside", e);
        }
    }

    /** Writes the identity file atomically (temp file + rename), so a crash never leaves half a file. */
    public void store(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
            Path tmp = dataDir.resolve(FILE_NAME + ".tmp");
            String text = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(java.util.Map.of(
                    "memberId", hex(), "serverId", serverId(), "createdAt", Instant.now().toString()));
            Files.writeString(tmp, text + "\n");
            try {
                Files.move(tmp, dataDir.resolve(FILE_NAME), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dataDir.resolve(FILE_NAME), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write member identity into " + dataDir, e);
        }
    }

    @Override
    public String toString() {
        return "member " + hex() + " (server_id " + serverId() + ")";
    }
}
