package dev.autopilot.storage.fs;

import dev.autopilot.storage.CorruptObjectException;
import dev.autopilot.storage.Manifest;
import dev.autopilot.storage.ObjectKeys;
import dev.autopilot.storage.ObjectNotFoundException;
import dev.autopilot.storage.ProgressListener;
import dev.autopilot.storage.Sha256;
import dev.autopilot.storage.SkippedObjects;
import dev.autopilot.storage.SnapshotStore;
import dev.autopilot.storage.StoreUnavailableException;
import dev.autopilot.storage.StoredObject;
import dev.autopilot.storage.VerifiedInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Objects as files under a root directory: {@code <root>/<key>} holds the content and
 * {@code <root>/<key>.manifest.json} its size, SHA-256 and metadata.
 *
 * <p>A put streams into a hidden temporary file in the key's directory ({@code .<name>.<uuid>.partial}), fsyncs
 * it, renames it over the key atomically, then writes the manifest the same way and fsyncs the directory. Only the
 * manifest makes an object visible, so a crash at any point leaves at most invisible files (hidden temporaries, or
 * content without a manifest that the next put of that key replaces).
 *
 * <p>A backup is a full copy of the database: files are created {@code rw-r-----} and directories {@code rwxr-x---}
 * (the owner, and a group an operator may grant read access to; never other users). A listing skips and reports
 * ({@link SkippedObjects}) a file whose name is not a key or whose manifest cannot be read.
 */
public final class DirectorySnapshotStore implements SnapshotStore {

    private static final Logger log = LoggerFactory.getLogger(DirectorySnapshotStore.class);
    private static final int CHUNK = 1 << 20;

    private static final FileAttribute<Set<PosixFilePermission>> FILE = PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rw-r-----"));
    private static final FileAttribute<Set<PosixFilePermission>> DIRECTORY = PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rwxr-x---"));

    private final Path root;
    private final SkippedObjects skipped;

    public DirectorySnapshotStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
        this.skipped = new SkippedObjects(log, location());
    }

    @Override
    public StoredObject put(String key, InputStream data, Map<String, String> metadata, ProgressListener progress)
            throws IOException {
        ObjectKeys.requireValid(key);
        ObjectKeys.requireValidMetadata(metadata);
        requireRoot();
        Path target = root.resolve(key);
        Files.createDirectories(target.getParent(), DIRECTORY);
        Path partial = temporary(target);
        MessageDigest digest = Sha256.newDigest();
        long size = 0;
        try {
            try (FileChannel out = FileChannel.open(partial, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), FILE)) {
                byte[] chunk = new byte[CHUNK];
                int n;
                while ((n = data.readNBytes(chunk, 0, CHUNK)) > 0) {
                    digest.update(chunk, 0, n);
                    ByteBuffer buffer = ByteBuffer.wrap(chunk, 0, n);
                    while (buffer.hasRemaining()) {
                        out.write(buffer);
                    }
                    size += n;
                    progress.stored(size);
                }
                out.force(true);
            }
            StoredObject stored = new StoredObject(key, size, Sha256.hex(digest), Instant.now(), metadata);
            // Hide the old object before its content changes, then publish content, then the manifest.
            Files.deleteIfExists(manifestOf(target));
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            writeAtomically(manifestOf(target), Manifest.encode(stored));
            forceDirectory(target.getParent());
            log.debug("stored {} in {}: {} bytes, sha256 {}", key, location(), size, stored.sha256());
            return stored;
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    @Override
    public InputStream get(String key) throws IOException {
        StoredObject expected = stat(key).orElseThrow(() -> new ObjectNotFoundException(key, location()));
        try {
            return new VerifiedInputStream(Files.newInputStream(root.resolve(key)), expected);
        } catch (NoSuchFileException e) {
            throw new ObjectNotFoundException(key, location());
        }
    }

    @Override
    public Optional<StoredObject> stat(String key) throws IOException {
        ObjectKeys.requireValid(key);
        requireRoot();
        Path manifest = manifestOf(root.resolve(key));
        try {
            return Optional.of(Manifest.decode(key, Files.readAllBytes(manifest), manifest.toString()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    @Override
    public List<StoredObject> list(String prefix) throws IOException {
        requireRoot();
        // Walk only below the deepest directory the prefix names.
        int slash = prefix.lastIndexOf('/');
        Path start = slash < 0 ? root : root.resolve(prefix.substring(0, slash));
        if (!start.normalize().startsWith(root) || !Files.isDirectory(start)) {
            return List.of();
        }
        List<StoredObject> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(start)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                String name = file.getFileName().toString();
                if (name.startsWith(".") || !name.endsWith(ObjectKeys.MANIFEST_SUFFIX) || !Files.isRegularFile(file)) {
                    continue;
                }
                String relative = root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
                String key = relative.substring(0, relative.length() - ObjectKeys.MANIFEST_SUFFIX.length());
                if (!key.startsWith(prefix)) {
                    continue;
                }
                Optional<String> invalid = whyNotAKey(key);
                if (invalid.isPresent()) {
                    skipped.skip(relative, invalid.get());
                    continue;
                }
                try {
                    stat(key).ifPresent(out::add);
                } catch (CorruptObjectException e) {
                    skipped.skip(key, e.getMessage());
                }
            }
        }
        out.sort(Comparator.comparing(StoredObject::key));
        return out;
    }

    @Override
    public boolean delete(String key) throws IOException {
        ObjectKeys.requireValid(key);
        requireRoot();
        Path target = root.resolve(key);
        boolean existed = Files.deleteIfExists(manifestOf(target));
        Files.deleteIfExists(target);
        return existed;
    }

    @Override
    public String location() {
        return "dir:" + root;
    }

    @Override
    public void close() {
        // nothing held open between calls
    }

    private void requireRoot() {
        if (!Files.isDirectory(root)) {
            throw new StoreUnavailableException("snapshot directory " + root + " does not exist or is not a directory"
                    + " (is the shared volume mounted?); create it or fix storage.directory.path",
                    new NoSuchFileException(root.toString()));
        }
    }

    /** Files that are not ours (an operator's copy named with a space) are not objects. */
    private static Optional<String> whyNotAKey(String candidate) {
        try {
            ObjectKeys.requireValid(candidate);
            return Optional.empty();
        } catch (IllegalArgumentException notAKey) {
            return Optional.of(notAKey.getMessage());
        }
    }

    private static Path manifestOf(Path target) {
        return target.resolveSibling(target.getFileName() + ObjectKeys.MANIFEST_SUFFIX);
    }

    private static Path temporary(Path target) {
        return target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".partial");
    }

    private static void writeAtomically(Path file, byte[] content) throws IOException {
        Path partial = temporary(file);
        try {
            try (FileChannel out = FileChannel.open(partial, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), FILE)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
                out.force(true);
            }
            Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    /** Makes the renames in {@code dir} durable (Linux allows fsync on a directory opened for reading). */
    private static void forceDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
