package dev.autopilot.backup.restore;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;
import java.util.zip.CRC32;

/**
 * Unpacks an xbstream (what {@code mariabackup --backup --stream=xbstream} writes) into a directory, in this JVM:
 * what {@code mbstream -x} does, without a pipe copy into another process, with the file writes spread over a few
 * writer threads while the calling thread parses (and, upstream, decompresses and verifies).
 *
 * <p>Hand-written because no Java library reads xbstream. The format is a sequence of chunks: the magic
 * {@code XBSTCK01}, a flags byte, a type byte ({@code 'P'} payload, {@code 'E'} end of file), a 4-byte path length
 * and the path; a payload chunk then carries an 8-byte length, an 8-byte file offset, a 4-byte CRC32 of the
 * payload and the payload (all little-endian). Chunks of several files interleave (mariabackup {@code --parallel}).
 *
 * <p>Strict, because a partial copy must never pass for a complete one: a bad magic, a CRC mismatch, a chunk out of
 * order for its file, a path that would leave the target directory, a file sent twice, or a stream that ends inside
 * a chunk or before every file's end chunk all throw {@link IOException} naming the file and the stream offset.
 * Memory is bounded: {@code buffers} slices of 1 MiB are in flight at most.
 */
public final class XbstreamExtractor {

    private static final byte[] MAGIC = "XBSTCK01".getBytes(StandardCharsets.US_ASCII);
    private static final int FLAG_IGNORABLE = 0x01;
    private static final byte TYPE_PAYLOAD = 'P';
    private static final byte TYPE_EOF = 'E';
    private static final int HEADER = MAGIC.length + 1 + 1 + 4;
    private static final int PAYLOAD_HEADER = 8 + 8 + 4;
    private static final int PATH_MAX = 512; // mbstream's FN_REFLEN
    private static final int SLICE = 1 << 20;
    /** As mariadbd creates them (its default UMASK / UMASK_DIR): table data is never readable by other local users. */
    private static final FileAttribute<Set<PosixFilePermission>> FILE_MODE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-rw----"));
    private static final FileAttribute<Set<PosixFilePermission>> DIRECTORY_MODE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    private static final Set<StandardOpenOption> NEW_FILE = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);

    private final Path root;
    private final int writers;
    private final int buffers;

    /**
     * @param root    the directory to unpack into (must exist; files already in it are never overwritten)
     * @param writers threads writing file content
     * @param buffers 1 MiB slices read ahead of the writers (memory bound)
     */
    public XbstreamExtractor(Path root, int writers, int buffers) {
        if (writers < 1 || buffers < writers) {
            throw new IllegalArgumentException("xbstream extractor needs at least 1 writer and as many buffers as writers, got "
                    + writers + " writers and " + buffers + " buffers");
        }
        this.root = root.toAbsolutePath().normalize();
        this.writers = writers;
        this.buffers = buffers;
    }

    /**
     * Reads {@code in} to its end and writes every file it carries under the root directory.
     *
     * @param progress told the number of stream bytes consumed, slice by slice (on the calling thread)
     * @return the number of stream bytes read
     * @throws IOException the stream is malformed or ends early, or a file cannot be written
     */
    public long extract(InputStream in, LongConsumer progress) throws IOException, InterruptedException {
        Run run = new Run(in, progress);
        try {
            run.readAll();
        } finally {
            run.finish();
        }
        return run.offset;
    }

    /** One extraction: the parse state lives on the calling thread, the writers only see {@link OpenFile}s. */
    private final class Run {
        private final InputStream in;
        private final LongConsumer progress;
        private final ExecutorService pool = Executors.newFixedThreadPool(writers,
                Thread.ofPlatform().name("xbstream-writer-", 0).daemon().factory());
        private final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(buffers);
        private final AtomicReference<IOException> writeFailure = new AtomicReference<>();
        private final Map<String, OpenFile> open = new HashMap<>();
        private final Set<String> seen = new HashSet<>();
        private final Set<Path> directories = new HashSet<>();
        private final byte[] header = new byte[Math.max(HEADER, PAYLOAD_HEADER)];
        private final CRC32 crc = new CRC32();
        private long offset;

        Run(InputStream in, LongConsumer progress) {
            this.in = in;
            this.progress = progress;
            for (int i = 0; i < buffers; i++) {
                free.add(new byte[SLICE]);
            }
            directories.add(root);
        }

        void readAll() throws IOException, InterruptedException {
            while (true) {
                long chunkStart = offset;
                int n = readUpTo(header, HEADER);
                if (n == 0) {
                    break;
                }
                if (n < HEADER) {
                    throw malformed(chunkStart, "the stream ends inside a chunk header");
                }
                if (!Arrays.equals(header, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
                    throw malformed(chunkStart, "no chunk magic " + new String(MAGIC, StandardCharsets.US_ASCII)
                            + " (not an xbstream, or damaged)");
                }
                int flags = header[MAGIC.length] & 0xff;
                byte type = header[MAGIC.length + 1];
                int pathLength = ByteBuffer.wrap(header, MAGIC.length + 2, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
                if (pathLength < 0 || pathLength >= PATH_MAX) {
                    throw malformed(chunkStart, "path length " + Integer.toUnsignedString(pathLength) + " is over " + PATH_MAX);
                }
                byte[] pathBytes = new byte[pathLength];
                readFully(pathBytes, pathLength, chunkStart, "path");
                String path = new String(pathBytes, StandardCharsets.UTF_8);
                switch (type) {
                    case TYPE_EOF -> endOfFile(path, chunkStart);
                    case TYPE_PAYLOAD -> payload(path, chunkStart, true);
                    default -> {
                        if ((flags & FLAG_IGNORABLE) == 0) {
                            throw malformed(chunkStart, "unknown chunk type 0x" + Integer.toHexString(type & 0xff)
                                    + " for " + path + " (written by a newer mariabackup?)");
                        }
                        payload(path, chunkStart, false); // an ignorable chunk of a type we do not know: skipped
                    }
                }
                checkWriters();
            }
            if (!open.isEmpty()) {
                throw malformed(offset, "the stream ends before the end of " + open.size() + " file(s), e.g. "
                        + open.keySet().iterator().next() + ": it was cut short");
            }
        }

        private void payload(String path, long chunkStart, boolean write) throws IOException, InterruptedException {
            readFully(header, PAYLOAD_HEADER, chunkStart, "payload header");
            ByteBuffer h = ByteBuffer.wrap(header, 0, PAYLOAD_HEADER).order(ByteOrder.LITTLE_ENDIAN);
            long length = h.getLong();
            long fileOffset = h.getLong();
            long expectedCrc = h.getInt() & 0xFFFF_FFFFL;
            if (length < 0 || fileOffset < 0) {
                throw malformed(chunkStart, "chunk of " + path + " has length " + Long.toUnsignedString(length)
                        + " at offset " + Long.toUnsignedString(fileOffset));
            }
            OpenFile file = write ? fileFor(path, chunkStart) : null;
            if (file != null && fileOffset != file.next) {
                throw malformed(chunkStart, "chunk of " + path + " at file offset " + fileOffset + " arrived where "
                        + file.next + " was expected (out of order)");
            }
            crc.reset();
            long remaining = length;
            long position = fileOffset;
            while (remaining > 0) {
                byte[] slice = free.take();
                int len = (int) Math.min(SLICE, remaining);
                try {
                    readFully(slice, len, chunkStart, "payload of " + path);
                } catch (IOException e) {
                    free.add(slice);
                    throw e;
                }
                crc.update(slice, 0, len);
                remaining -= len;
                if (file != null) {
                    file.write(slice, len, position);
                } else {
                    free.add(slice);
                }
                position += len;
                progress.accept(len);
            }
            if (crc.getValue() != expectedCrc) {
                throw malformed(chunkStart, "chunk of " + path + " at file offset " + fileOffset + " fails its checksum"
                        + " (CRC32 " + Long.toHexString(crc.getValue()) + ", recorded " + Long.toHexString(expectedCrc) + ")");
            }
            if (file != null) {
                file.next += length;
            }
        }

        private void endOfFile(String path, long chunkStart) throws IOException {
            OpenFile file = open.remove(path);
            if (file == null) {
                fileFor(path, chunkStart); // a file with no content: only its end chunk
                file = open.remove(path);
            }
            file.release();
        }

        private OpenFile fileFor(String path, long chunkStart) throws IOException {
            OpenFile file = open.get(path);
            if (file != null) {
                return file;
            }
            if (!seen.add(path)) {
                throw malformed(chunkStart, path + " appears again after its end chunk");
            }
            Path target = resolve(path, chunkStart);
            Path parent = target.getParent();
            if (directories.add(parent)) {
                refuseLinks(parent, path, chunkStart);
                Files.createDirectories(parent, DIRECTORY_MODE);
            }
            FileChannel channel;
            try {
                channel = FileChannel.open(target, NEW_FILE, FILE_MODE);
            } catch (FileAlreadyExistsException e) {
                throw malformed(chunkStart, path + " already exists in " + root + " (the stream does not overwrite files)");
            }
            file = new OpenFile(path, channel);
            open.put(path, file);
            return file;
        }

        /**
         * The stream's paths are checked by name ({@link #resolve}); a symbolic link already inside the target would
         * still lead a write elsewhere ({@code data -> /etc}), so none may lie on the way. The file itself is opened
         * with {@code CREATE_NEW}, which never follows a link.
         */
        private void refuseLinks(Path dir, String path, long chunkStart) throws IOException {
            for (Path p = dir; p != null && p.startsWith(root) && !p.equals(root); p = p.getParent()) {
                if (Files.isSymbolicLink(p)) {
                    throw malformed(chunkStart, "path '" + path + "' passes through the symbolic link " + p
                            + " inside " + root + "; the stream is never written through a link");
                }
            }
        }

        private Path resolve(String path, long chunkStart) throws IOException {
            try {
                Path relative = Path.of(path);
                Path target = root.resolve(relative).normalize();
                if (path.isEmpty() || relative.isAbsolute() || !target.startsWith(root) || target.equals(root)) {
                    throw malformed(chunkStart, "path '" + path + "' points outside the target directory");
                }
                return target;
            } catch (InvalidPathException e) {
                throw malformed(chunkStart, "path '" + path + "' is not a valid file name: " + e.getReason());
            }
        }

        private void checkWriters() throws IOException {
            IOException failed = writeFailure.get();
            if (failed != null) {
                throw new IOException("writing the unpacked files into " + root + " failed: " + failed.getMessage(), failed);
            }
        }

        /** Waits for the writers and closes every file still open (after a failure); rethrows a write failure. */
        void finish() throws IOException, InterruptedException {
            for (OpenFile file : open.values()) {
                file.release();
            }
            open.clear();
            pool.shutdown();
            while (!pool.awaitTermination(10, TimeUnit.SECONDS)) {
                // writes of at most `buffers` MiB are in flight; a stuck disk holds us here, as it would mbstream
            }
            checkWriters();
        }

        /** Reads up to {@code len} bytes; fewer only at the end of the stream. */
        private int readUpTo(byte[] into, int len) throws IOException {
            int total = 0;
            while (total < len) {
                int n = in.read(into, total, len - total);
                if (n < 0) {
                    break;
                }
                total += n;
            }
            offset += total;
            return total;
        }

        private void readFully(byte[] into, int len, long chunkStart, String what) throws IOException {
            if (readUpTo(into, len) < len) {
                throw malformed(chunkStart, "the stream ends inside the " + what);
            }
        }

        private IOException malformed(long at, String what) {
            return new IOException("xbstream at byte " + at + ": " + what);
        }

        /** A file being written: closed by whichever of the stream's end chunk and its last write comes last. */
        private final class OpenFile {
            private final String path;
            private final FileChannel channel;
            private final AtomicInteger holds = new AtomicInteger(1); // the stream's own, until the end chunk
            private long next;

            OpenFile(String path, FileChannel channel) {
                this.path = path;
                this.channel = channel;
            }

            void write(byte[] slice, int len, long position) {
                holds.incrementAndGet();
                pool.execute(() -> {
                    try {
                        if (writeFailure.get() == null) {
                            ByteBuffer b = ByteBuffer.wrap(slice, 0, len);
                            long at = position;
                            while (b.hasRemaining()) {
                                at += channel.write(b, at);
                            }
                        }
                    } catch (IOException e) {
                        writeFailure.compareAndSet(null, new IOException(path + ": " + e.getMessage(), e));
                    } finally {
                        free.add(slice);
                        release();
                    }
                });
            }

            void release() {
                if (holds.decrementAndGet() == 0) {
                    try {
                        channel.close();
                    } catch (IOException e) {
                        writeFailure.compareAndSet(null, new IOException(path + ": " + e.getMessage(), e));
                    }
                }
            }
        }
    }
}
