package dev.autopilot.coordination.support;

/** Maps keys relative to a cluster scope ({@code /autopilot/c1/}) to absolute store keys and back. */
public record Scope(String root) {

    public Scope {
        if (!root.endsWith("/")) {
            throw new IllegalArgumentException("scope must end with '/': " + root);
        }
    }

    /** Absolute key of a relative key; rejects keys that would escape the scope. */
    public String absolute(String relative) {
        String k = relative.startsWith("/") ? relative.substring(1) : relative;
        if (k.contains("..") || k.contains("//")) {
            throw new IllegalArgumentException("key '" + relative + "' must not contain '..' or '//'");
        }
        return root + k;
    }

    /** Relative key of an absolute key inside the scope. */
    public String relative(String absolute) {
        if (!absolute.startsWith(root)) {
            throw new IllegalArgumentException("key '" + absolute + "' is outside scope " + root);
        }
        return absolute.substring(root.length());
    }
}
