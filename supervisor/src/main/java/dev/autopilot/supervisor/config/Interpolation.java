package dev.autopilot.supervisor.config;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces {@code ${VAR}} and {@code ${VAR:-default}} in configuration strings with values from the
 * environment; {@code $$} stands for a literal {@code $}. An unset variable without a default is a
 * problem reported at the value's path.
 */
final class Interpolation {
    private static final Pattern REF = Pattern.compile("\\$\\$|\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?}|\\$\\{([^}]*)}?");

    private final Map<String, String> env;

    Interpolation(Map<String, String> env) {
        this.env = env;
    }

    String apply(String text, String path, List<String> problems) {
        if (text.indexOf('$') < 0) {
            return text;
        }
        Matcher m = REF.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String replacement;
            if (m.group().equals("$$")) {
                replacement = "$";
            } else if (m.group(1) == null) {
                problems.add(path + ": malformed variable reference '" + m.group()
                        + "' (write ${NAME} or ${NAME:-default}; $$ for a literal $)");
                replacement = m.group();
            } else {
                String value = env.get(m.group(1));
                if (value == null || (value.isEmpty() && m.group(2) != null)) {
                    value = m.group(3);
                }
                if (value == null) {
                    problems.add(path + ": environment variable " + m.group(1)
                            + " is not set (set it, or write ${" + m.group(1) + ":-default})");
                    value = "";
                }
                replacement = value;
            }
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }
}
