package dev.autopilot.agent;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Finds secret files other local users may read or change: each file in {@code secrets.dir} and each file an
 * {@code AUTOPILOT_*_FILE} variable names. A database password or the cluster token readable by a group or by everyone
 * is a copy of the whole database for any local account; the agent still starts (a mounted volume may be shared on
 * purpose) but says so, with the fix. Access for the agent's own primary group is fine: that is how Kubernetes hands a
 * non-root pod its secrets ({@code fsGroup}).
 */
final class SecretFileAccess {
    private static final Set<PosixFilePermission> GROUP = EnumSet.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.GROUP_EXECUTE);
    private static final Set<PosixFilePermission> OTHERS = EnumSet.of(PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE,
            PosixFilePermission.OTHERS_EXECUTE);

    private SecretFileAccess() {
    }

    /** One warning per secret file that grants its group or other users any access. */
    static List<String> warnings(Map<String, String> env, Optional<Path> secretsDir) {
        Set<Path> files = new TreeSet<>();
        env.forEach((name, value) -> {
            if (name.startsWith("AUTOPILOT_") && name.endsWith("_FILE") && !value.isBlank()) {
                files.add(Path.of(value));
            }
        });
        secretsDir.filter(Files::isDirectory).ifPresent(dir -> {
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, Files::isRegularFile)) {
                entries.forEach(files::add);
            } catch (IOException e) {
                // unreadable directory: loading the secrets reports it
            }
        });
        List<String> out = new ArrayList<>();
        Optional<GroupPrincipal> ownGroup = ownGroup();
        for (Path file : files) {
            try {
                PosixFileAttributes attributes = Files.readAttributes(file, PosixFileAttributes.class);
                Set<PosixFilePermission> perms = attributes.permissions();
                boolean groupIsOurs = ownGroup.filter(attributes.group()::equals).isPresent();
                if (perms.stream().anyMatch(OTHERS::contains) || !groupIsOurs && perms.stream().anyMatch(GROUP::contains)) {
                    out.add("secret file " + file + " is " + PosixFilePermissions.toString(perms) + ": other local users can"
                            + " read or change it; make it readable by the agent's user only (chmod 600 " + file + ")");
                }
            } catch (IOException | UnsupportedOperationException e) {
                // missing or not a POSIX file system: nothing to say here (loading the secrets reports a missing one)
            }
        }
        return out;
    }

    /** This process's primary group: the group of {@code /proc/self}. */
    private static Optional<GroupPrincipal> ownGroup() {
        try {
            return Optional.of(Files.readAttributes(Path.of("/proc/self"), PosixFileAttributes.class).group());
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty();
        }
    }
}
