package dev.autopilot.cli.local;

import dev.autopilot.cli.CommandFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The programs local mode runs, and what to do when one is missing. The package list is {@code bin/prerequisites}'s
 * (the project's one list): when the CLI runs from a checkout it runs that script, which installs the packages
 * as root on Debian and otherwise prints the exact {@code apt-get install} line. Outside a checkout it names
 * the package of each missing program.
 */
public final class Prerequisites {
    /** Program → Debian package (the packages also listed in bin/prerequisites). */
    static final Map<String, String> PROGRAMS = programs();

    private final List<Path> searchPath;
    private final Optional<Path> script;

    public Prerequisites(List<Path> searchPath, Optional<Path> script) {
        this.searchPath = List.copyOf(searchPath);
        this.script = script;
    }

    /** From the environment's {@code PATH} (plus the sbin directories, where mariadbd lives) and the checkout's script. */
    public static Prerequisites of(Map<String, String> env) {
        List<Path> path = new ArrayList<>();
        for (String p : env.getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (!p.isBlank()) {
                path.add(Path.of(p));
            }
        }
        path.add(Path.of("/usr/sbin"));
        path.add(Path.of("/sbin"));
        return new Prerequisites(path, checkoutScript());
    }

    private static Map<String, String> programs() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("etcd", "etcd-server");
        m.put("mariadbd", "mariadb-server");
        m.put("mariadb-install-db", "mariadb-server");
        m.put("mariabackup", "mariadb-backup");
        m.put("mbstream", "mariadb-backup");
        m.put("haproxy", "haproxy");
        m.put("setsid", "util-linux");
        return m;
    }

    /** Programs not found. */
    public List<String> missing() {
        return PROGRAMS.keySet().stream().filter(p -> find(p).isEmpty()).toList();
    }

    public Optional<Path> find(String program) {
        return searchPath.stream().map(d -> d.resolve(program)).filter(Files::isExecutable).findFirst();
    }

    /**
     * Ensures every program is there: runs {@code bin/prerequisites} when available (installs as root), then checks
     * again; fails with the packages to install.
     */
    public void ensure() {
        List<String> missing = missing();
        if (missing.isEmpty()) {
            return;
        }
        if (script.isPresent()) {
            try {
                Process p = new ProcessBuilder(script.get().toString()).inheritIO().start();
                p.waitFor();
            } catch (IOException e) {
                // fall through: the message below says what to install
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            missing = missing();
            if (missing.isEmpty()) {
                return;
            }
        }
        throw CommandFailure.failed("missing programs " + missing + "; install them with: sudo apt-get install -y "
                + String.join(" ", packages(missing)) + (script.isPresent() ? " (or run " + script.get() + " as root)" : ""));
    }

    static TreeSet<String> packages(List<String> programs) {
        TreeSet<String> out = new TreeSet<>();
        programs.forEach(p -> out.add(PROGRAMS.get(p)));
        return out;
    }

    /** {@code bin/prerequisites} of the checkout this CLI runs from (jar in cli/target, or classes in a module's target). */
    private static Optional<Path> checkoutScript() {
        try {
            Path code = Path.of(Prerequisites.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path p = code; p != null; p = p.getParent()) {
                Path script = p.resolve("bin/prerequisites");
                if (Files.isExecutable(script)) {
                    return Optional.of(script);
                }
            }
        } catch (Exception e) {
            // not in a checkout
        }
        return Optional.empty();
    }
}
