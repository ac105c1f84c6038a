package dev.autopilot.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.autopilot.agent.config.AgentConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * deploy/'s consistency with the agent, checked in a second: every AUTOPILOT_* variable the files set is one the agent
 * reads, and the wiring HAProxy and the image depend on is there. ComposeDeploymentTest (deploy-test/) runs the files.
 */
class DeployFilesTest {
    private static final Path DEPLOY = Path.of("..", "deploy").toAbsolutePath().normalize();
    private static final Set<String> SECRETS = Set.of("root-password", "replication-password", "monitor-password",
            "backup-password", "app-password", "cluster-token");


    static Set<String> accepted() {
        Set<String> names = new TreeSet<>();
        AgentConfigLoader.SETTINGS.forEach(p -> names.add(AgentConfigLoader.environmentName(p)));
        for (String s : dev.autopilot.agent.config.ClusterSecrets.NAMES) {
            String var = dev.autopilot.agent.config.ClusterSecrets.environmentName(s);
            names.add(var);
            names.add(var + "_FILE");
        }
        names.addAll(Set.of("AUTOPILOT_LOG_LEVEL", "AUTOPILOT_JAVA_OPTS"));
        return names;
    }

    @Test
    void everyAutopilotVariableInDeployIsOneTheAgentAccepts() throws Exception {
        Pattern var = Pattern.compile("AUTOPILOT_[A-Z0-9_]+");
        Set<String> used = new TreeSet<>();
        try (Stream<Path> files = Files.walk(DEPLOY)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Matcher m = var.matcher(Files.readString(f));
                while (m.find()) {
                    used.add(m.group());
                }
            }
        }
        assertThat(used).as("variables in " + DEPLOY).isNotEmpty().contains("AUTOPILOT_CLUSTER", "AUTOPILOT_COORDINATION_ENDPOINTS");
        assertThat(accepted()).containsAll(used);
    }

    @Test
    void secretsMountedByComposeAndKubernetesAreTheFilesTheAgentReads() throws Exception {
        String compose = Files.readString(DEPLOY.resolve("docker-compose.yml"));
        for (String s : SECRETS) {
            assertThat(compose).contains(s + ": {file: ./secrets/" + s + "}");
        }
        assertThat(compose).contains("AUTOPILOT_SECRETS_DIR: /run/secrets");
        assertThat(Files.readString(DEPLOY.resolve("kubernetes/autopilot.yaml"))).contains("AUTOPILOT_SECRETS_DIR, value: /etc/autopilot/secrets",
                "mountPath: /etc/autopilot/secrets");
    }

    @Test
    void theImageRunsTheAgentAsPid1AndHaproxyRoutesOnTheRestApi() throws Exception {
        assertThat(Files.readString(DEPLOY.resolve("Dockerfile"))).contains("ENTRYPOINT [\"autopilot\", \"agent\"]", "mariadb-server",
                "mariadb-backup", "eclipse-temurin:25");
        String haproxy = Files.readString(DEPLOY.resolve("haproxy.cfg"));
        assertThat(haproxy).contains("option httpchk HEAD /primary", "http-check expect status 200", "check port 8008",
                "on-marked-down shutdown-sessions");
        assertThat(Files.isExecutable(DEPLOY.resolve("autopilot"))).isTrue();
    }

    @Test
    void theDatabaseNeverRunsAsRootInTheImageOrThePod() throws Exception {
        assertThat(Files.readString(DEPLOY.resolve("Dockerfile"))).contains("useradd --system --uid 999 --gid mysql",
                "install -d -o mysql -g mysql -m 0750 /var/lib/autopilot");
        assertThat(Files.readString(DEPLOY.resolve("kubernetes/autopilot.yaml")))
                .contains("securityContext: {runAsUser: 999, runAsGroup: 999, fsGroup: 999, runAsNonRoot: true}");
    }
}
