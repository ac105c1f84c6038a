package dev.autopilot.agent.api;

/**
 * Text from inside the agent (a member's last error, a value a client sent) as the unauthenticated API shows it:
 * one line of printable characters, at most {@value #MAX} of them. An error message can be long, span lines
 * (a tool's output) or carry terminal escapes; a reader of {@code /cluster} gets the gist, the agent's log the rest.
 */
final class PublicText {
    static final int MAX = 200;

    private PublicText() {
    }

    static String of(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(Math.min(text.length(), MAX + 1));
        text.codePoints().limit(MAX + 1L).forEach(c -> out.appendCodePoint(Character.isISOControl(c) || !Character.isDefined(c) ? ' ' : c));
        if (out.codePointCount(0, out.length()) > MAX) {
            return out.substring(0, out.offsetByCodePoints(0, MAX - 1)).strip() + "…";
        }
        return out.toString().strip();
    }
}
