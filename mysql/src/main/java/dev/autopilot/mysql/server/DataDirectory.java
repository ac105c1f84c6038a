package dev.autopilot.mysql.server;

import dev.autopilot.mysql.config.MemberIdentity;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Ownership rules for a data directory: a directory belongs to a member when it holds that member's
 * {@link MemberIdentity} file. An empty (or missing) directory is claimed by writing a new identity;
 * a non-empty directory without one belongs to somebody else and is never touched.
 */
public final class DataDirectory {

    private DataDirectory() {
    }

    /**
     * The identity of {@code dir}, creating one when the directory is missing or empty.
     *
     * @throws ServerStartException when the directory has files but no identity file
     */
    public static MemberIdentity claim(Path dir) {
        Optional<MemberIdentity> existing = MemberIdentity.load(dir);
        if (existing.isPresent()) {
            return existing.get();
        }
        if (!isEmpty(dir)) {
            throw new ServerStartException("data directory " + dir + " is not empty and has no " + MemberIdentity.FILE_NAME
                    + ": it was not created by this member, so Autopilot will not touch it. Point the data directory at an"
                    + " empty path, or move the files aside");
        }
        MemberIdentity identity = MemberIdentity.random();
        identity.store(dir);
        return identity;
    }

    /**
     * Marks a directory filled by a restore (mariabackup --copy-back into a directory that had to be
     * empty) as this member's. Refuses when the directory already carries another member's identity.
     */
    public static void adopt(Path dir, MemberIdentity identity) {
        Optional<MemberIdentity> existing = MemberIdentity.load(dir);
        if (existing.isPresent() && !existing.get().equals(identity)) {
            throw new ServerStartException("data directory " + dir + " belongs to " + existing.get() + ", not " + identity
                    + ": a snapshot must not carry " + MemberIdentity.FILE_NAME + "; remove it from the snapshot or the directory");
        }
        identity.store(dir);
    }

    /** True when the system tables exist (mariadb-install-db finished, or a restore put them there). */
    public static boolean isInitialised(Path dir) {
        return Files.exists(dir.resolve("mysql").resolve("global_priv.frm"));
    }

    /** True when the directory is missing or has no entries. */
    public static boolean isEmpty(Path dir) {
        if (!Files.exists(dir)) {
            return true;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list data directory " + dir, e);
        }
    }

    /** Deletes a data directory (or any directory tree) with everything in it; nothing when it is missing. */
    public static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
