package dev.autopilot.mysql.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operating-system account {@code mariadbd} runs as. An agent running as root never runs the database as root:
 * it starts {@code mariadbd --user=mysql} (the server drops root itself) and first hands the server's directories to
 * {@code mysql}, since backups, clones and restores are written by the agent. An agent running as any other user runs
 * the server as itself ({@code --user} works only for root), and there is nothing to hand over.
 *
 * @param user the account to switch to, when the agent runs as root
 */
public record ServerAccount(Optional<String> user) {
    private static final Logger LOG = LoggerFactory.getLogger(ServerAccount.class);

    /** The system account the Debian/Ubuntu and official container packages create for the server. */
    public static final String MYSQL = "mysql";

    /** {@code mysql} when this process runs as root, else the current user. */
    public static ServerAccount detect() {
        try {
            // /proc/self belongs to the process's effective user.
            boolean root = Files.getOwner(Path.of("/proc/self")).getName().equals("root");
            return new ServerAccount(root ? Optional.of(MYSQL) : Optional.empty());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot tell which user this process runs as (/proc/self): " + e.getMessage(), e);
        }
    }

    /** The current user, whoever that is (no switch, no hand-over). */
    public static ServerAccount current() {
        return new ServerAccount(Optional.empty());
    }

    /**
     * This account, if it can reach {@code dir} (every directory above it lets it pass); otherwise the current user,
     * with a warning naming the directory and the fix. Keeps a root agent working where the server's account cannot
     * enter a parent directory (a checkout under a 0700 home, as with {@code autopilot local} run by root): running
     * the server as root there is what the operator's layout allows, and the warning says how to do better.
     */
    public ServerAccount reaching(Path dir) {
        if (user.isEmpty()) {
            return this;
        }
        try {
            var lookup = FileSystems.getDefault().getUserPrincipalLookupService();
            requireReachable(dir, lookup.lookupPrincipalByName(user.get()), lookup.lookupPrincipalByGroupName(user.get()));
            return this;
        } catch (ServerStartException | IOException e) {
            LOG.warn("mariadbd for {} runs as the agent's own user (root), not '{}': {}", dir, user.get(), e.getMessage());
            return new ServerAccount(Optional.of("root")); // mariadbd refuses to run as root unless told --user=root
        }
    }

    /** True when the server runs as another account than this process (the agent is root, the server is not). */
    public boolean switchesUser() {
        return user.isPresent() && !user.get().equals("root");
    }

    /**
     * Copies {@code source} (read as this process) to {@code target}, readable only by the server's account; the
     * directory of {@code target} is created private to it too.
     *
     * @param setting what names the file, for the error message
     * @throws ServerStartException when the source cannot be read or the copy cannot be handed over
     */
    public Path copyPrivate(Path source, Path target, String setting) {
        try {
            Path dir = target.getParent();
            Files.createDirectories(dir.getParent());
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Path partial = dir.resolve(target.getFileName() + ".partial");
            Files.deleteIfExists(partial);
            Files.createFile(partial, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(partial, Files.readAllBytes(source));
            Files.move(partial, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            own(dir);
            return target;
        } catch (IOException e) {
            throw new ServerStartException("cannot give mariadbd (running as '" + user.orElse("") + "') its " + setting + " file "
                    + source + ": " + e.getMessage() + "; check that the file exists and that the agent can read it", e);
        }
    }

    /** The {@code --user=...} option for mariadbd and mariadb-install-db, or nothing. */
    public List<String> userOption() {
        return user.map(u -> List.of("--user=" + u)).orElse(List.of());
    }

    /**
     * Makes {@code dir} and everything below it belong to the account (user and its primary group), without
     * following symbolic links. Cheap when they already do: only differing entries are changed.
     *
     * @throws ServerStartException when the account does not exist or a file cannot be handed over
     */
    public void own(Path dir) {
        if (user.isEmpty() || !Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        var lookup = FileSystems.getDefault().getUserPrincipalLookupService();
        UserPrincipal owner;
        GroupPrincipal group;
        try {
            owner = lookup.lookupPrincipalByName(user.get());
            group = lookup.lookupPrincipalByGroupName(user.get());
        } catch (UserPrincipalNotFoundException e) {
            throw new ServerStartException("the agent runs as root, so mariadbd runs as the system account '" + user.get()
                    + "' (user and group), which does not exist; create it (useradd --system --user-group --no-create-home "
                    + user.get() + ") or run the agent as a non-root user");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        requireReachable(dir, owner, group);
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                var view = Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
                PosixFileAttributes now = view.readAttributes();
                if (!now.owner().equals(owner)) {
                    view.setOwner(owner);
                }
                if (!now.group().equals(group)) {
                    view.setGroup(group);
                }
            }
        } catch (IOException | UncheckedIOException e) {
            throw new ServerStartException("cannot hand " + dir + " to the account '" + user.get() + "' that mariadbd runs as: "
                    + e.getMessage() + "; check that the directory is on a local file system that supports ownership", e);
        }
    }

    /** Every directory above {@code dir} must let the account pass, or mariadbd fails with a bare "Permission denied". */
    private void requireReachable(Path dir, UserPrincipal owner, GroupPrincipal group) {
        for (Path p = dir.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
            if (!Files.exists(p)) {
                continue; // created later by this process, with the default permissions that let every user pass
            }
            try {
                PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class);
                var perms = a.permissions();
                boolean passes = perms.contains(PosixFilePermission.OTHERS_EXECUTE)
                        || a.owner().equals(owner) && perms.contains(PosixFilePermission.OWNER_EXECUTE)
                        || a.group().equals(group) && perms.contains(PosixFilePermission.GROUP_EXECUTE);
                if (!passes) {
                    throw new ServerStartException("mariadbd runs as '" + user.get() + "' and cannot reach " + dir + ": " + p
                            + " is " + PosixFilePermissions.toString(perms) + " (owner " + a.owner().getName() + "); let it pass"
                            + " (chmod o+x " + p + ", or chgrp " + user.get() + " and chmod g+x) or move the directory elsewhere");
                }
            } catch (IOException e) {
                throw new ServerStartException("cannot read the permissions of " + p + " above " + dir + ": " + e.getMessage(), e);
            }
        }
    }
}
