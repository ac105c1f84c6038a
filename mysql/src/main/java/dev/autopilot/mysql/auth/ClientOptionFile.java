package dev.autopilot.mysql.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * A private ({@code 0600}) {@code [client]} option file holding an account, for command-line tools
 * (mariadb-admin, mariabackup, mariadb-binlog) so the password never appears in their argv or in
 * {@code ps}. Pass {@link #argument()} as the tool's FIRST argument. {@link #close()} deletes the file.
 */
public final class ClientOptionFile implements AutoCloseable {

    private final Path file;

    private ClientOptionFile(Path file) {
        this.file = file;
    }

    /** A file for connecting through a unix socket. */
    public static ClientOptionFile forSocket(Path dir, Credentials credentials, Path socket) {
        return write(dir, credentials, List.of("socket=" + quote(socket.toString())));
    }

    /** A file for connecting over TCP. */
    public static ClientOptionFile forTcp(Path dir, Credentials credentials, String host, int port) {
        return write(dir, credentials, List.of("host=" + quote(host), "port=" + port, "protocol=TCP"));
    }

    private static ClientOptionFile write(Path dir, Credentials c, List<String> connection) {
        try {
            Files.createDirectories(dir);
            // Created with 0600 from the start: the password is never readable by others, not even briefly.
            Path file = Files.createTempFile(dir, "client-", ".cnf", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            StringBuilder sb = new StringBuilder("[client]\n");
            sb.append("user=").append(quote(c.user())).append('\n');
            sb.append("password=").append(quote(c.password().reveal())).append('\n');
            connection.forEach(line -> sb.append(line).append('\n'));
            Files.writeString(file, sb.toString());
            return new ClientOptionFile(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write client option file in " + dir, e);
        }
    }

    /** Option-file quoting: double quotes, with backslash and quote escaped. */
    static String quote(String value) {
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    public Path path() {
        return file;
    }

    /** {@code --defaults-extra-file=<path>}: must be the tool's first argument. */
    public String argument() {
        return "--defaults-extra-file=" + file;
    }

    @Override
    public void close() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete client option file " + file, e);
        }
    }

    @Override
    public String toString() {
        return file.toString();
    }
}
