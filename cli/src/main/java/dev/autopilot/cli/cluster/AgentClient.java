package dev.autopilot.cli.cluster;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.cli.CommandFailure;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;

/**
 * Calls an agent's REST API; turns every answer other than 200 into a {@link CommandFailure} that says why.
 *
 * <p>The address comes from the member's record in the coordination store, which anyone who can write to the store
 * could change. With {@code tls} every call is HTTPS and the JDK verifies that the agent's certificate is issued by
 * the cluster's CA for exactly that address, so the token goes only to a real member. Without it the token crosses
 * the network in clear to whatever address the record names (docs/security.md says when that is acceptable).
 */
public final class AgentClient {
    private final Optional<SSLContext> tls;
    private final String scheme;
    private final String token;

    /**
     * @param token the operator token, or null for read-only calls
     * @param tls   trust in the CA that signs the agents' API certificates: call over HTTPS; empty: plain HTTP
     */
    public AgentClient(String token, Optional<SSLContext> tls) {
        this.token = token;
        this.tls = tls;
        this.scheme = tls.isPresent() ? "https" : "http";
    }

    /** The member's API root as this client calls it. */
    private URI root(MemberRecord member) {
        return URI.create(scheme + "://" + hostForUrl(member.address()) + ":" + member.apiPort() + "/");
    }

    private static String who(MemberRecord member) {
        return "agent " + member.name() + " at " + hostForUrl(member.address()) + ":" + member.apiPort();
    }

    private static String hostForUrl(String address) {
        return address.contains(":") && !address.startsWith("[") ? "[" + address + "]" : address;
    }

    /** POSTs {@code body} (strings, numbers, booleans) to {@code path} on {@code member}; returns the agent's message. */
    public String post(MemberRecord member, String path, Map<String, Object> body) {
        return field(exchange(root(member), path, body(body), Duration.ofSeconds(10), who(member)), "message");
    }

    /** GETs {@code path}; returns the JSON body of a 200. */
    public JsonNode get(MemberRecord member, String path) {
        return exchange(root(member), path, null, Duration.ofSeconds(10), who(member));
    }

    /**
     * GETs {@code path} from the agent whose API root is {@code api} (known without the store: {@code --api}, an agent's
     * configuration, a local cluster), waiting at most {@code timeout} for the answer; returns the JSON body of a 200.
     */
    public JsonNode get(URI api, String path, Duration timeout) {
        return exchange(api, path, null, timeout, "agent at " + api.getAuthority());
    }

    /**
     * One request: a GET, or a POST of {@code body}. Plain HTTP by {@link #plain}; HTTPS through HttpsURLConnection, not
     * the HttpClient: a quick command starts in a fraction of the time without the HttpClient's selector thread and
     * default TLS context (a trust-store load even for plain HTTP); the connection verifies the agent's certificate
     * against the cluster's CA and the address called, as the HttpClient did.
     */
    private JsonNode exchange(URI api, String path, byte[] body, Duration timeout, String who) {
        if (api.getScheme().equalsIgnoreCase("http")) {
            return plain(api.resolve(path), path, body, timeout, who);
        }
        HttpURLConnection c = null;
        try {
            c = (HttpURLConnection) api.resolve(path).toURL().openConnection();
            if (c instanceof HttpsURLConnection https) {
                https.setSSLSocketFactory(tls.orElseThrow(() -> CommandFailure.usage(api + " is HTTPS: give the agents' CA with --api-ca"))
                        .getSocketFactory());
            }
            c.setConnectTimeout((int) timeout.toMillis());
            c.setReadTimeout((int) timeout.toMillis());
            if (body != null) {
                c.setRequestMethod("POST");
                c.setRequestProperty("Authorization", "Bearer " + token);
                c.setRequestProperty("Content-Type", "application/json");
                c.setDoOutput(true);
                c.setFixedLengthStreamingMode(body.length);
                try (OutputStream out = c.getOutputStream()) {
                    out.write(body);
                }
            }
            int status = c.getResponseCode();
            try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
                String text = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
                return judge(who, path, status, text);
            }
        } catch (IOException e) {
            throw CommandFailure.unreachable(who + " unreachable (" + e + "); is it running?");
        } finally {
            if (c != null) {
                c.disconnect();
            }
        }
    }

    /**
     * One plain-HTTP request, HTTP/1.1 over a socket of its own ({@code Connection: close}), as HttpURLConnection sends
     * it. Not HttpURLConnection itself on a quick command's path: its URL first looks up {@code URLStreamHandlerProvider}s
     * on the class path, which opens and indexes the 29 MB jar (12,500 entries), and the connection brings a proxy
     * selector, an authenticator, a logger lookup and a keep-alive thread that one call to an agent does not need.
     * Reads a body by its {@code Content-Length}, chunked, or to the end; failures are those of the same call through
     * HttpURLConnection ({@code java.net.ConnectException: Connection refused}, {@code Read timed out}, ...).
     */
    private JsonNode plain(URI url, String path, byte[] body, Duration timeout, String who) {
        int millis = (int) timeout.toMillis();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(url.getHost(), url.getPort() < 0 ? 80 : url.getPort()), millis);
            socket.setSoTimeout(millis);
            StringBuilder request = new StringBuilder(body == null ? "GET " : "POST ").append(url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath())
                    .append(url.getRawQuery() == null ? "" : "?" + url.getRawQuery()).append(" HTTP/1.1\r\n")
                    .append("Host: ").append(url.getRawAuthority()).append("\r\n")
                    .append("Accept: application/json\r\nConnection: close\r\n");
            if (body != null) {
                request.append("Authorization: Bearer ").append(token).append("\r\n")
                        .append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
            }
            OutputStream out = new BufferedOutputStream(socket.getOutputStream());
            out.write(request.append("\r\n").toString().getBytes(StandardCharsets.UTF_8));
            if (body != null) {
                out.write(body);
            }
            out.flush();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            String statusLine = line(in);
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/") || !parts[1].matches("\\d{3}")) {
                throw new IOException("Invalid Http response");
            }
            int status = Integer.parseInt(parts[1]);
            long length = -1;
            boolean chunked = false;
            for (String header = line(in); !header.isEmpty(); header = line(in)) {
                int colon = header.indexOf(':');
                String name = colon < 0 ? header : header.substring(0, colon).trim();
                String value = colon < 0 ? "" : header.substring(colon + 1).trim();
                if (name.equalsIgnoreCase("Content-Length")) {
                    length = Long.parseLong(value);
                } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
                    chunked = value.toLowerCase(java.util.Locale.ROOT).contains("chunked");
                }
            }
            byte[] bytes;
            if (chunked) {
                var all = new ByteArrayOutputStream();
                for (long size = chunkSize(line(in)); size > 0; size = chunkSize(line(in))) {
                    all.write(exactly(in, size));
                    line(in); // the CRLF after the chunk
                }
                bytes = all.toByteArray();
            } else if (length >= 0) {
                bytes = exactly(in, length);
            } else {
                bytes = in.readAllBytes();
            }
            return judge(who, path, status, new String(bytes, StandardCharsets.UTF_8));
        } catch (IOException | NumberFormatException e) {
            throw CommandFailure.unreachable(who + " unreachable (" + e + "); is it running?");
        }
    }

    /** One header line without its CRLF; fails at the end of the stream, as a response cut short is. */
    private static String line(InputStream in) throws IOException {
        var line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new java.io.EOFException("Unexpected end of file from server");
            }
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    private static long chunkSize(String line) {
        int semicolon = line.indexOf(';');
        return Long.parseLong((semicolon < 0 ? line : line.substring(0, semicolon)).trim(), 16);
    }

    private static byte[] exactly(InputStream in, long length) throws IOException {
        if (length > Integer.MAX_VALUE - 8) {
            throw new IOException("an answer of " + length + " bytes");
        }
        byte[] bytes = in.readNBytes((int) length);
        if (bytes.length < length) {
            throw new java.io.EOFException("Unexpected end of file from server");
        }
        return bytes;
    }

    /** A flat JSON object, written with the streaming generator (no data-binding machinery for a one-line request). */
    private static byte[] body(Map<String, Object> fields) {
        var bytes = new ByteArrayOutputStream();
        try (JsonGenerator g = JsonTree.FACTORY.createGenerator(bytes)) {
            g.writeStartObject();
            for (Map.Entry<String, Object> e : fields.entrySet()) {
                switch (e.getValue()) {
                    case null -> g.writeNullField(e.getKey());
                    case Boolean b -> g.writeBooleanField(e.getKey(), b);
                    case Integer i -> g.writeNumberField(e.getKey(), i);
                    case Long l -> g.writeNumberField(e.getKey(), l);
                    case Number n -> g.writeNumberField(e.getKey(), n.doubleValue());
                    default -> g.writeStringField(e.getKey(), e.getValue().toString());
                }
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // writing to memory
        }
        return bytes.toByteArray();
    }

    /** Sends to the first of {@code agents} that answers at all; refusals are not retried elsewhere. */
    public String postToAny(List<MemberRecord> agents, String path, Map<String, Object> body) {
        CommandFailure last = CommandFailure.unreachable("no running agent to send " + path + " to; start the members first");
        for (MemberRecord a : agents) {
            try {
                return post(a, path, body);
            } catch (CommandFailure f) {
                if (f.exitCode() != dev.autopilot.cli.ExitCodes.UNREACHABLE) {
                    throw f;
                }
                last = f;
            }
        }
        throw last;
    }

    /** The JSON body of a 200; any other status as the failure that says why. */
    private static JsonNode judge(String who, String path, int status, String text) {
        JsonNode body;
        try {
            body = JsonTree.parse(text);
        } catch (IOException e) {
            body = JsonNodeFactory.instance.objectNode().put("error", text);
        }
        if (status == 200) {
            return body;
        }
        String error = field(body, "error"); // not for a 200: writing a whole answer back out as text costs a quick command
        throw switch (status) {
            case 401 -> CommandFailure.refused(who + " refused the operator token (" + error
                    + "); check --token-file, AUTOPILOT_OPERATOR_TOKEN_FILE or AUTOPILOT_CLUSTER_TOKEN_FILE");
            case 409, 400 -> CommandFailure.refused(who + " refused " + path + ": " + error);
            case 501 -> CommandFailure.failed(who + ": " + error);
            case 503 -> CommandFailure.unreachable(who + " cannot serve " + path + " now: " + error);
            default -> CommandFailure.failed(who + " answered " + status + " to " + path + ": " + error);
        };
    }

    private static String field(JsonNode body, String name) {
        JsonNode n = body.get(name);
        return n == null ? body.toString() : n.asText();
    }
}
