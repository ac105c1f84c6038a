package dev.autopilot.mysql.flavor;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A server's product and version, parsed from {@code SELECT VERSION()}. */
public record ServerVersion(Product product, int major, int minor, int patch, String raw) implements Comparable<ServerVersion> {

    /** Which database the server is. Percona Server reports as MySQL. */
    public enum Product { MARIADB, MYSQL }

    private static final Pattern NUMBERS = Pattern.compile("^(?:5\\.5\\.5-)?(\\d+)\\.(\\d+)\\.(\\d+)");

    /** Parses e.g. {@code 10.11.19-MariaDB-0+deb12u1} or {@code 8.0.36-28}; MariaDB is recognised by its name in the string. */
    public static ServerVersion parse(String raw) {
        Matcher m = NUMBERS.matcher(raw == null ? "" : raw.strip());
        if (!m.find()) {
            throw new UnsupportedServerException("cannot read a server version from '" + raw + "': expected e.g. 10.11.6-MariaDB or 8.0.36");
        }
        Product product = raw.toLowerCase(java.util.Locale.ROOT).contains("mariadb") ? Product.MARIADB : Product.MYSQL;
        return new ServerVersion(product, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)), raw.strip());
    }

    public boolean atLeast(int major, int minor) {
        return this.major > major || (this.major == major && this.minor >= minor);
    }

    @Override
    public int compareTo(ServerVersion o) {
        int c = Integer.compare(major, o.major);
        if (c == 0) c = Integer.compare(minor, o.minor);
        return c != 0 ? c : Integer.compare(patch, o.patch);
    }

    @Override
    public String toString() {
        return (product == Product.MARIADB ? "MariaDB " : "MySQL ") + major + "." + minor + "." + patch;
    }
}
