package dev.autopilot.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Disables the compose test, saying why and what to install, where a Docker engine of its own cannot run: not root,
 * a program missing, or no agent jar (cli's package phase writes it: 'mvn test' alone does not). A condition rather
 * than assumptions, so the report lists the class as skipped with the reason.
 */
final class EngineRequirements implements ExecutionCondition {
    static final Path REPOSITORY = Path.of("..").toAbsolutePath().normalize();
    static final Path JAR = REPOSITORY.resolve("cli/target/autopilot.jar");

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        List<String> missing = new ArrayList<>();
        if (!"root".equals(System.getProperty("user.name"))) {
            missing.add("root (Docker engines of the test's own; running as " + System.getProperty("user.name") + ")");
        }
        for (Path tool : List.of(DockerEngine.DOCKERD, DockerEngine.DOCKER, DockerEngine.COMPOSE, Path.of("/usr/sbin/debootstrap"),
                Path.of("/usr/bin/nsenter"), Path.of("/usr/sbin/ip"))) {
            if (!Files.isExecutable(tool)) {
                missing.add(tool + " (apt-get install docker.io docker-compose debootstrap util-linux iproute2; bin/prerequisites does)");
            }
        }
        if (!Files.isRegularFile(JAR)) {
            missing.add(JAR + " (the image's agent; run 'mvn package' or bin/test, not 'mvn test')");
        }
        return missing.isEmpty() ? ConditionEvaluationResult.enabled("a Docker engine can run here")
                : ConditionEvaluationResult.disabled("the compose deployment cannot run here; missing: " + String.join(", ", missing));
    }
}
