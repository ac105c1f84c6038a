package dev.autopilot.testkit.manta;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.PublicKey;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Manta storage API double on the JDK's HTTP server, written from Manta's public REST API documentation, for tests
 * where no real Manta is available. Objects live as files under a directory ({@code <dir>/<account>/stor/...}).
 *
 * <p>What it does as the documentation says: every request must carry an HTTP Signature over its {@code date} header
 * ({@code Authorization: Signature keyId="/<account>[/<subuser>]/keys/<fingerprint>",algorithm=...,signature=...}),
 * verified with the public key registered for that account ({@link #addKey}); a wrong key, an unknown key id, a
 * tampered or stale date is refused with 401 ({@link #refusals()} says why). PutDirectory
 * ({@code Content-Type: application/json; type=directory}, the parent must exist), PutObject (with a length, or
 * chunked up to {@code max-content-length}, 5 GB by default; stored only once the upload completes), GetObject,
 * HeadObject, DeleteObject, ListDirectory (JSON lines sorted by name, {@code limit} and {@code marker}, which is
 * included, and {@code result-set-size}), DeleteDirectory (only an empty one); errors as
 * {@code {"code":"...","message":"..."}} with Manta's codes. Not modelled: RBAC role policies (the {@code Role}
 * header is accepted), SnapLinks, multipart uploads, jobs, durability, conditional requests.
 */
public final class MantaDouble implements AutoCloseable {

    private static final long DEFAULT_MAX_CONTENT = 5L << 30;
    private static final int MAX_LIMIT = 1000;
    private static final int DEFAULT_LIMIT = 256;

    private final String address;
    private final int port;
    private final Path storage;
    private final Path uploads;
    private final SignatureCheck signatures = new SignatureCheck();
    private final List<String> refusals = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    private final AtomicInteger unavailable = new AtomicInteger();
    private volatile int pageSize = MAX_LIMIT;
    private HttpServer server;

    private MantaDouble(String address, int port, Path storage) {
        this.address = address;
        this.port = port;
        this.storage = storage.toAbsolutePath();
        this.uploads = this.storage.resolve(".uploads");
    }

    /** A double on {@code address:port} storing under {@code storage}; call {@link #start()}. */
    public static MantaDouble on(String address, int port, Path storage) {
        return new MantaDouble(address, port, storage);
    }

    /** Registers {@code key} (RSA or EC) as one of {@code account}'s keys and creates its {@code /stor}. */
    public MantaDouble addKey(String account, PublicKey key) {
        return addKey(account, null, key);
    }

    /** Registers {@code key} for {@code account}'s RBAC sub-user {@code subuser}. */
    public MantaDouble addKey(String account, String subuser, PublicKey key) {
        signatures.register(account, subuser, key);
        try {
            Files.createDirectories(storage.resolve(account).resolve("stor"));
            Files.createDirectories(storage.resolve(account).resolve("public"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** Serves at most {@code entries} directory entries per page, whatever {@code limit} asks (tests pagination). */
    public MantaDouble pageSize(int entries) {
        this.pageSize = entries;
        return this;
    }

    public synchronized MantaDouble start() {
        if (server != null) {
            return this;
        }
        try {
            Files.createDirectories(uploads);
            server = HttpServer.create(new InetSocketAddress(address, port), 64);
        } catch (IOException e) {
            throw new UncheckedIOException("Manta double cannot listen on " + address + ":" + port, e);
        }
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
        return this;
    }

    /** Stops listening (an outage); {@link #start()} serves the same objects again. */
    public synchronized void stop() {
        if (server != null) {
            server.stop(0);
            server = null;
        }
    }

    public URI url() {
        return URI.create("http://" + address + ":" + port);
    }

    /** Where {@code path} ({@code /<account>/stor/...}) is kept. */
    public Path fileOf(String path) {
        return storage.resolve(path.substring(1));
    }

    /** The next {@code n} requests are answered 503 ServiceUnavailableError (a transient failure). */
    public void failNext(int n) {
        unavailable.set(n);
    }

    /** Why requests were refused for authentication, in order ({@code "InvalidSignatureError: ..."}). */
    public List<String> refusals() {
        return List.copyOf(refusals);
    }

    /** How many requests of {@code method} were answered (any status). */
    public int requests(String method) {
        return requests.getOrDefault(method, new AtomicInteger()).get();
    }

    /** Temporary files of uploads in progress or not cleaned up (should be none between requests). */
    public List<Path> pendingUploads() throws IOException {
        try (var files = Files.list(uploads)) {
            return files.toList();
        }
    }

    @Override
    public void close() {
        stop();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            requests.computeIfAbsent(exchange.getRequestMethod(), m -> new AtomicInteger()).incrementAndGet();
            if (unavailable.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                drain(exchange);
                error(exchange, 503, "ServiceUnavailableError", "the double was told to be unavailable");
                return;
            }
            Optional<SignatureCheck.Caller> caller;
            try {
                caller = Optional.of(signatures.verify(exchange.getRequestHeaders(), Instant.now()));
            } catch (SignatureCheck.Refused refused) {
                refusals.add(refused.code() + ": " + refused.getMessage());
                drain(exchange);
                error(exchange, 401, refused.code(), refused.getMessage());
                return;
            }
            String path = exchange.getRequestURI().getPath();
            String account = caller.get().account();
            if (!(path.equals("/" + account + "/stor") || path.startsWith("/" + account + "/stor/")
                    || path.equals("/" + account + "/public") || path.startsWith("/" + account + "/public/"))) {
                drain(exchange);
                error(exchange, 403, "AuthorizationFailedError", account + " is not allowed to access " + path);
                return;
            }
            if (path.contains("/../") || path.endsWith("/..") || path.contains("/./") || path.contains("//")) {
                drain(exchange);
                error(exchange, 400, "InvalidArgumentError", "invalid path " + path);
                return;
            }
            while (path.length() > 1 && path.endsWith("/")) {
                path = path.substring(0, path.length() - 1);
            }
            switch (exchange.getRequestMethod()) {
                case "PUT" -> put(exchange, path);
                case "GET" -> get(exchange, path, false);
                case "HEAD" -> get(exchange, path, true);
                case "DELETE" -> delete(exchange, path);
                default -> error(exchange, 405, "BadRequestError", exchange.getRequestMethod() + " is not supported");
            }
        } catch (IOException | RuntimeException e) {
            // The client went away mid-request (an aborted upload): nothing to answer.
        }
    }

    private void put(HttpExchange exchange, String path) throws IOException {
        Path target = fileOf(path);
        Path parent = target.getParent();
        String type = Optional.ofNullable(exchange.getRequestHeaders().getFirst("Content-Type")).orElse("");
        boolean isTop = target.getParent().equals(storage.resolve(path.split("/")[1]));
        if (!Files.isDirectory(parent)) {
            drain(exchange);
            error(exchange, 404, Files.exists(parent) ? "ParentNotDirectoryError" : "DirectoryDoesNotExistError",
                    parentPath(path) + " does not exist");
            return;
        }
        if (type.replace(" ", "").equalsIgnoreCase("application/json;type=directory")) {
            drain(exchange);
            if (Files.isRegularFile(target)) {
                error(exchange, 400, "DirectoryOperationError", path + " is an object");
                return;
            }
            Files.createDirectories(target);
            noContent(exchange, null);
            return;
        }
        if (isTop || Files.isDirectory(target)) {
            drain(exchange);
            error(exchange, 400, "DirectoryOperationError", path + " is a directory");
            return;
        }
        long max = maxContent(exchange);
        Path partial = uploads.resolve(UUID.randomUUID() + ".upload");
        try {
            long size = 0;
            try (InputStream in = exchange.getRequestBody(); OutputStream out = Files.newOutputStream(partial)) {
                byte[] buffer = new byte[1 << 16];
                for (int n; (n = in.read(buffer)) != -1; ) {
                    size += n;
                    if (size > max) {
                        error(exchange, 413, "RequestEntityTooLargeError", "more than " + max + " bytes");
                        return;
                    }
                    out.write(buffer, 0, n);
                }
            }
            String length = exchange.getRequestHeaders().getFirst("Content-Length");
            if (length != null && Long.parseLong(length) != size) {
                error(exchange, 400, "ContentLengthError", "got " + size + " of " + length + " bytes");
                return;
            }
            // Stored only now, whole: a reader never sees part of an upload.
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            noContent(exchange, etag(target));
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    private long maxContent(HttpExchange exchange) {
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            return Long.parseLong(length);
        }
        String max = exchange.getRequestHeaders().getFirst("max-content-length");
        return max == null ? DEFAULT_MAX_CONTENT : Long.parseLong(max);
    }

    private void get(HttpExchange exchange, String path, boolean head) throws IOException {
        Path target = fileOf(path);
        if (Files.isDirectory(target)) {
            list(exchange, target, head);
        } else if (Files.isRegularFile(target)) {
            exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
            exchange.getResponseHeaders().set("Etag", etag(target));
            long size = Files.size(target);
            if (head) {
                exchange.getResponseHeaders().set("Content-Length", Long.toString(size));
                exchange.sendResponseHeaders(200, -1);
                return;
            }
            exchange.sendResponseHeaders(200, size == 0 ? -1 : size);
            try (InputStream in = Files.newInputStream(target); OutputStream out = exchange.getResponseBody()) {
                in.transferTo(out);
            }
        } else {
            error(exchange, 404, "ResourceNotFoundError", path + " was not found");
        }
    }

    private void list(HttpExchange exchange, Path directory, boolean head) throws IOException {
        Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
        int limit;
        try {
            limit = Integer.parseInt(query.getOrDefault("limit", Integer.toString(DEFAULT_LIMIT)));
        } catch (NumberFormatException e) {
            limit = -1;
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            error(exchange, 400, "InvalidLimitError", "limit must be 1.." + MAX_LIMIT);
            return;
        }
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            entries.forEach(children::add);
        }
        children.removeIf(p -> p.equals(uploads));
        children.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
        String marker = query.get("marker");
        StringBuilder body = new StringBuilder();
        int served = 0;
        for (Path child : children) {
            String name = child.getFileName().toString();
            if (marker != null && name.compareTo(marker) < 0) {
                continue;
            }
            if (served == Math.min(limit, pageSize)) {
                break;
            }
            String mtime = DateTimeFormatter.ISO_INSTANT.format(Files.getLastModifiedTime(child).toInstant());
            body.append(Files.isDirectory(child)
                    ? "{\"name\":" + quote(name) + ",\"type\":\"directory\",\"mtime\":\"" + mtime + "\"}"
                    : "{\"name\":" + quote(name) + ",\"etag\":\"" + etag(child) + "\",\"size\":" + Files.size(child)
                            + ",\"type\":\"object\",\"mtime\":\"" + mtime + "\"}").append('\n');
            served++;
        }
        exchange.getResponseHeaders().set("Content-Type", "application/x-json-stream; type=directory");
        exchange.getResponseHeaders().set("Result-Set-Size", Integer.toString(children.size()));
        if (head) {
            exchange.sendResponseHeaders(200, -1);
            return;
        }
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, bytes.length == 0 ? -1 : bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private void delete(HttpExchange exchange, String path) throws IOException {
        Path target = fileOf(path);
        if (path.split("/").length <= 3) {
            error(exchange, 400, "RootDirectoryError", path + " cannot be deleted");
        } else if (Files.isDirectory(target)) {
            try (var entries = Files.list(target)) {
                if (entries.findAny().isPresent()) {
                    error(exchange, 400, "DirectoryNotEmptyError", path + " is not empty");
                    return;
                }
            }
            Files.delete(target);
            noContent(exchange, null);
        } else if (Files.deleteIfExists(target)) {
            noContent(exchange, null);
        } else {
            error(exchange, 404, "ResourceNotFoundError", path + " was not found");
        }
    }

    private static String parentPath(String path) {
        return path.substring(0, path.lastIndexOf('/'));
    }

    private static String etag(Path file) throws IOException {
        return Long.toHexString(Files.getLastModifiedTime(file).toMillis()) + "-" + Long.toHexString(Files.size(file));
    }

    private static void noContent(HttpExchange exchange, String etag) throws IOException {
        if (etag != null) {
            exchange.getResponseHeaders().set("Etag", etag);
        }
        exchange.sendResponseHeaders(204, -1);
    }

    private static void drain(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            in.transferTo(OutputStream.nullOutputStream());
        }
    }

    private static void error(HttpExchange exchange, int status, String code, String message) throws IOException {
        byte[] body = ("{\"code\":" + quote(code) + ",\"message\":" + quote(message) + "}").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new java.util.HashMap<>();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    out.put(java.net.URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                            java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return out;
    }

    static String quote(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
