package dev.autopilot.mysql.flavor;

/** Quoting for the few statements that cannot take JDBC placeholders (CHANGE MASTER, SET GLOBAL, CREATE USER). */
public final class Sql {

    private Sql() {
    }

    /** A single-quoted SQL string literal; backslashes and quotes are escaped (default sql_mode). */
    public static String literal(String value) {
        StringBuilder sb = new StringBuilder(value.length() + 2).append('\'');
        for (char c : value.toCharArray()) {
            switch (c) {
                case '\'' -> sb.append("''");
                case '\\' -> sb.append("\\\\");
                case '\0' -> sb.append("\\0");
                default -> sb.append(c);
            }
        }
        return sb.append('\'').toString();
    }

    /** A back-quoted identifier (database name). */
    public static String identifier(String name) {
        return "`" + name.replace("`", "``") + "`";
    }
}
