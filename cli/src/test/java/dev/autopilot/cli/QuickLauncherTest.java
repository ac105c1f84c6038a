package dev.autopilot.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/autopilot's quick-command start (bin/jdk.sh, cli/aot-training.sh): whatever archive a command starts from, the
 * AOT cache written at package time, the class-data archive it writes itself, or none, it prints and exits the same,
 * and a cache that is missing, stale, unusable or cannot be written never shows. Runs the real scripts on a copy of the
 * tree whose jar holds a stand-in {@code Main} (prints its arguments, exits with the second) and {@code QuickTraining}.
 */
class QuickLauncherTest {
    private static final Path BIN = Path.of("..", "bin").toAbsolutePath().normalize();
    private static final Path TRAINING = Path.of("aot-training.sh").toAbsolutePath();

    @TempDir
    Path root;
    private Path jar;
    private Path cache;

    @BeforeEach
    void tree() throws IOException {
        Files.createDirectories(root.resolve("bin"));
        for (String script : List.of("autopilot", "jdk.sh")) {
            Files.copy(BIN.resolve(script), root.resolve("bin").resolve(script));
        }
        Path target = Files.createDirectories(root.resolve("cli/target"));
        Files.copy(TRAINING, root.resolve("cli/aot-training.sh"));
        jar = target.resolve("autopilot.jar");
        cache = target.resolve("quick.aot");
        standInJar(jar);
    }

    @Test
    void withoutAnAotCacheTheCommandWritesItsClassDataArchiveAndPrintsTheSame() throws Exception {
        Run first = run("status", "3");
        Run second = run("status", "3");
        for (Run r : List.of(first, second)) {
            assertThat(r).isEqualTo(new Run(3, "ran status 3\n", ""));
        }
        try (Stream<Path> archives = Files.walk(root.resolve("cli/target/cds"))) {
            assertThat(archives.filter(p -> p.getFileName().toString().equals("quick.jsa"))).hasSize(1);
        }
    }

    @Test
    void theCacheThePackagePhaseWritesIsWhatTheCommandStartsFrom() throws Exception {
        Run training = script(root.resolve("cli/aot-training.sh"));
        assertThat(training.exit()).isZero();
        assertThat(training.out()).contains("aot-training: wrote " + cache);
        assertThat(cache).isNotEmptyFile();

        assertThat(run("switchover", "0")).isEqualTo(new Run(0, "ran switchover 0\n", ""));
        Run logged = run(Map.of("AUTOPILOT_JAVA_OPTS", "-Xlog:class+load=info:stderr"), "status", "0");
        assertThat(logged.out()).isEqualTo("ran status 0\n");
        assertThat(logged.err()).contains("dev.autopilot.cli.Main source: shared objects file");
        assertThat(root.resolve("cli/target/cds")).as("no class-data archive beside a usable cache").doesNotExist();
    }

    @Test
    void aTrainingThatFailsLeavesNoCacheAndTheBuildGoesOn() throws Exception {
        standInJar(jar, "System.exit(1);");
        Run training = script(root.resolve("cli/aot-training.sh"));
        assertThat(training.exit()).isZero();
        assertThat(training.err()).contains("no AOT cache for the quick commands");
        assertThat(cache).doesNotExist();
        assertThat(run("status", "0")).isEqualTo(new Run(0, "ran status 0\n", ""));
    }

    @Test
    void aCacheOlderThanTheJarIsLeftAlone() throws Exception {
        Files.writeString(cache, "a cache written for an earlier build of the jar");
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now().plusSeconds(60))); // the jar rebuilt since
        assertThat(run("status", "0")).isEqualTo(new Run(0, "ran status 0\n", ""));
        assertThat(root.resolve("cli/target/cds")).as("the class-data archive instead").isDirectory();
    }

    @Test
    void aCacheTheJvmCannotUseIsSilent() throws Exception {
        Files.writeString(cache, "not an AOT cache");
        Files.setLastModifiedTime(cache, FileTime.from(Instant.now().plusSeconds(60)));
        assertThat(run("history", "0")).isEqualTo(new Run(0, "ran history 0\n", ""));
        assertThat(run("status", "1")).isEqualTo(new Run(1, "ran status 1\n", ""));
    }

    @Test
    void whereNoArchiveCanBeWrittenTheCommandRunsWithout() throws Exception {
        Files.writeString(root.resolve("cli/target/cds"), "a file where the archives' directory would be");
        assertThat(run("status", "0")).isEqualTo(new Run(0, "ran status 0\n", ""));
        assertThat(run("status", "2")).isEqualTo(new Run(2, "ran status 2\n", ""));
    }

    record Run(int exit, String out, String err) {
    }

    private Run run(String... args) throws Exception {
        return run(Map.of(), args);
    }

    private Run run(Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("bash", root.resolve("bin/autopilot").toString()));
        command.addAll(List.of(args));
        return exec(command, env);
    }

    private Run script(Path script) throws Exception {
        return exec(List.of("bash", script.toString()), Map.of());
    }

    private static Run exec(List<String> command, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("AUTOPILOT_"));
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        String out = read(p.getInputStream());
        return new Run(p.waitFor(), out, err.get());
    }

    private static String read(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A jar with a stand-in {@code Main} and {@code QuickTraining} (which runs {@code main} with {@code training}). */
    private void standInJar(Path jar) throws IOException {
        standInJar(jar, "Main.main(new String[] {\"status\", \"0\"});");
    }

    private void standInJar(Path jar, String training) throws IOException {
        Path src = Files.createDirectories(root.resolve("src/dev/autopilot/cli"));
        Files.writeString(src.resolve("Main.java"), """
                package dev.autopilot.cli;
                public class Main {
                    public static void main(String[] args) {
                        System.out.println("ran " + String.join(" ", args));
                        System.out.flush();
                        int code = args.length > 1 ? Integer.parseInt(args[1]) : 0;
                        if (code != 0) {
                            System.exit(code);
                        }
                    }
                }
                """);
        Files.writeString(src.resolve("QuickTraining.java"), """
                package dev.autopilot.cli;
                class QuickTraining {
                    public static void main(String[] args) {
                        %s
                    }
                }
                """.formatted(training));
        Path classes = root.resolve("classes");
        var errors = new ByteArrayOutputStream();
        int rc = ToolProvider.getSystemJavaCompiler().run(null, null, errors, "-d", classes.toString(),
                src.resolve("Main.java").toString(), src.resolve("QuickTraining.java").toString());
        assertThat(rc).as(errors.toString()).isZero();
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file);
             Stream<Path> all = Files.walk(classes)) {
            for (Path c : all.filter(Files::isRegularFile).sorted().toList()) {
                out.putNextEntry(new JarEntry(classes.relativize(c).toString()));
                Files.copy(c, out);
                out.closeEntry();
            }
        }
    }
}
