package dev.autopilot.storage.manta;

import java.net.http.HttpRequest;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * Signs each request as Manta requires: an HTTP Signature over the {@code date} header, made with the account's (or
 * sub-user's) SSH key and naming it by {@code keyId="/<account>[/<subuser>]/keys/<fingerprint>"}; RBAC roles go in
 * the {@code Role} header.
 */
final class RequestSigner {

    private static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    private final SigningKey key;
    private final String keyPath;
    private final List<String> roles;
    private final Clock clock;

    RequestSigner(SigningKey key, String account, String subuser, String keyId, List<String> roles, Clock clock) {
        this.key = key;
        this.keyPath = "/" + account + (subuser == null ? "" : "/" + subuser) + "/keys/" + keyId;
        this.roles = roles;
        this.clock = clock;
    }

    /** Sets a fresh {@code date}, its signature and the roles on {@code request} (a new copy per attempt). */
    HttpRequest.Builder sign(HttpRequest.Builder request) {
        String date = HTTP_DATE.format(clock.instant());
        request.setHeader("date", date);
        request.setHeader("Authorization", "Signature keyId=\"" + keyPath + "\",algorithm=\"" + key.algorithm()
                + "\",headers=\"date\",signature=\"" + key.sign("date: " + date) + "\"");
        if (!roles.isEmpty()) {
            request.setHeader("Role", String.join(",", roles));
        }
        return request;
    }

    /** The key id as sent, for error messages. */
    String keyPath() {
        return keyPath;
    }
}
