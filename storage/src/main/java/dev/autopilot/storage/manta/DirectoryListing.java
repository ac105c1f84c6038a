package dev.autopilot.storage.manta;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads a Manta directory: a stream of JSON lines, one entry each ({@code name}, {@code type} {@code object} or
 * {@code directory}, {@code size}, {@code mtime}, {@code etag}), in pages of {@value #PAGE} by {@code limit}; the next
 * page starts at the last name seen ({@code marker}, which Manta includes again). A server may return fewer entries
 * than asked for: reading goes on until {@code result-set-size} (the directory's total) entries are read, or a page
 * brings nothing new.
 */
final class DirectoryListing {

    static final int PAGE = 1000;
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** One entry of a directory. */
    record Entry(String name, String type, long size) {
        boolean directory() {
            return "directory".equals(type);
        }
    }

    private DirectoryListing() {
    }

    /** Every entry of {@code directory} in name order, or empty if there is no such directory. */
    static Optional<List<Entry>> read(MantaHttp http, String directory) throws IOException {
        List<Entry> out = new ArrayList<>();
        String marker = null;
        while (true) {
            String query = "limit=" + PAGE + (marker == null ? "" : "&marker=" + URLEncoder.encode(marker, StandardCharsets.UTF_8));
            HttpResponse<byte[]> response = http.send("list of " + directory, http.request(directory, query).GET(),
                    HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() == 404) {
                return Optional.empty();
            }
            if (response.statusCode() != 200) {
                throw http.failures().refused("list of " + directory, response.statusCode(), response.body());
            }
            int lines = 0;
            int before = out.size();
            for (String line : new String(response.body(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                lines++;
                Entry entry = JSON.readValue(line, Entry.class);
                if (lines == 1 && entry.name().equals(marker)) {
                    continue; // the marker itself, already read on the previous page
                }
                out.add(entry);
            }
            long total = response.headers().firstValueAsLong("result-set-size").orElse(Long.MAX_VALUE);
            if (out.size() == before || out.size() >= total) {
                return Optional.of(out);
            }
            marker = out.getLast().name();
        }
    }
}
