package dev.autopilot.mysql.auth;

import java.util.Map;
import java.util.Objects;

/** A database account: user name and password. Prints as {@code user/******}. */
public record Credentials(String user, Secret password) {

    public Credentials {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        if (user.isBlank() || user.length() > 80 || !user.matches("[A-Za-z0-9_.$-]+")) {
            throw new IllegalArgumentException("database user name '" + user
                    + "' is invalid: use 1-80 letters, digits, '_', '.', '$' or '-'");
        }
    }

    public static Credentials of(String user, String password) {
        return new Credentials(user, Secret.of(password));
    }

    /**
     * Loads the password from {@code <prefix>_PASSWORD} or {@code <prefix>_PASSWORD_FILE}; the user from
     * {@code <prefix>_USER} when set, else {@code defaultUser}.
     */
    public static Credentials fromEnvironment(Map<String, String> env, String prefix, String defaultUser) {
        String user = env.getOrDefault(prefix + "_USER", defaultUser);
        return new Credentials(user, Secret.fromEnvironment(env, prefix + "_PASSWORD"));
    }

    @Override
    public String toString() {
        return user + "/" + password;
    }
}
