package dev.autopilot.agent.config;

import dev.autopilot.storage.Secret;
import dev.autopilot.storage.StoreSettings;
import java.net.URI;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Manta object store settings under a prefix ({@code backup.manta.*}), with the original Autopilot Pattern
 * image's environment variables accepted as they were named, as fallbacks of {@code backup.manta.*}:
 * {@code MANTA_URL}, {@code MANTA_USER}, {@code MANTA_SUBUSER}, {@code MANTA_ROLE}, {@code MANTA_KEY_ID},
 * {@code MANTA_PRIVATE_KEY} (the key itself, line breaks written as {@code #}), {@code MANTA_BUCKET} (the directory)
 * and {@code MANTA_TLS_INSECURE} (refused when on). The key's text is a {@link Secret}: it never reaches logs, and
 * children never inherit {@code MANTA_*} variables ({@code ChildEnvironment}).
 */
final class MantaVariables {

    /** No fallbacks: {@code bootstrap.manta.*} names another store than the original's variables. */
    static final MantaVariables NONE = new MantaVariables(Map.of());

    /** The original image's variables, in documentation order. */
    static final List<String> NAMES = List.of("MANTA_URL", "MANTA_USER", "MANTA_SUBUSER", "MANTA_ROLE", "MANTA_KEY_ID",
            "MANTA_PRIVATE_KEY", "MANTA_BUCKET", "MANTA_TLS_INSECURE");

    private final Map<String, String> env;

    MantaVariables(Map<String, String> env) {
        this.env = env;
    }

    /** {@code MANTA_USER}, which selects Manta for backups when no {@code backup.*} store is set. */
    Optional<String> user() {
        return variable("MANTA_USER");
    }

    /** The settings under {@code <prefix>.manta.}, every problem recorded in {@code s}. */
    StoreSettings.Manta settings(SettingsTree s, String prefix) {
        String p = prefix + ".manta.";
        URI url = StoreSettings.Manta.DEFAULT_URL;
        Optional<String> urlText = s.optional(p + "url").or(() -> variable("MANTA_URL"));
        if (urlText.isPresent()) {
            try {
                url = URI.create(urlText.get());
            } catch (IllegalArgumentException e) {
                // Reported here; the default only stands in so that the store's own checks do not report it twice.
                s.problem(p + "url: '" + urlText.get() + "' is not a URL (e.g. https://us-central.manta.mnx.io)");
            }
        }
        List<String> roles = s.optional(p + "role").or(() -> variable("MANTA_ROLE"))
                .map(r -> Arrays.stream(r.split(",")).map(String::strip).filter(x -> !x.isEmpty()).toList())
                .orElse(List.of());
        Optional<String> file = s.optional(p + "keyFile");
        Optional<String> text = variable("MANTA_PRIVATE_KEY");
        if (file.isPresent() && text.isPresent()) {
            s.problem(p + "keyFile: set, and MANTA_PRIVATE_KEY holds a key too; keep one of them");
        }
        StoreSettings.MantaKey key = file.<StoreSettings.MantaKey>map(f -> new StoreSettings.MantaKey.KeyFile(Path.of(f)))
                .or(() -> text.map(t -> new StoreSettings.MantaKey.KeyText(new Secret(t), "MANTA_PRIVATE_KEY")))
                .orElse(null);
        variable("MANTA_TLS_INSECURE").filter(v -> !List.of("0", "false", "no", "off").contains(v.toLowerCase()))
                .ifPresent(v -> s.problem("MANTA_TLS_INSECURE: '" + v + "': certificate checks are never turned off; give"
                        + " the JVM Manta's CA instead (AUTOPILOT_JAVA_OPTS=-Djavax.net.ssl.trustStore=...) and unset it"));
        return new StoreSettings.Manta(url, s.optional(p + "user").or(this::user).orElse(null),
                s.optional(p + "subuser").or(() -> variable("MANTA_SUBUSER")).orElse(null), roles,
                s.optional(p + "keyId").or(() -> variable("MANTA_KEY_ID")).orElse(null), key,
                s.optional(p + "directory").or(() -> variable("MANTA_BUCKET")).orElse(null),
                StoreSettings.S3.DEFAULT_CONNECT_TIMEOUT, StoreSettings.S3.DEFAULT_READ_TIMEOUT,
                s.integer(p + "maxObjectGib", StoreSettings.Manta.DEFAULT_MAX_OBJECT_GIB, 1, 16384));
    }

    private Optional<String> variable(String name) {
        return Optional.ofNullable(env.get(name)).map(String::strip).filter(v -> !v.isEmpty());
    }
}
