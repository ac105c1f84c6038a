package dev.autopilot.agent;

import dev.autopilot.agent.config.AgentConfig;
import dev.autopilot.agent.config.AgentConfigLoader;
import dev.autopilot.agent.config.ClusterSecrets;
import dev.autopilot.agent.config.InvalidConfigException;
import dev.autopilot.coordination.CoordinationException;
import dev.autopilot.supervisor.process.OrphanReaper;
import dev.autopilot.supervisor.process.Posix;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * {@code autopilot agent [--config FILE]}: runs one member until SIGTERM/SIGINT, then stops gracefully.
 * Exit codes: 0 stopped, 1 could not start, 2 invalid configuration.
 */
public final class AgentMain {
    private static final Logger LOG = LoggerFactory.getLogger(AgentMain.class);

    private AgentMain() {}

    public static void main(String[] args) {
        System.exit(run(args.length >= 2 && args[0].equals("--config") ? Optional.of(Path.of(args[1])) : Optional.empty(),
                System.getenv(), System.err));
    }

    /** Loads the configuration, starts the agent and blocks until a stop signal. */
    public static int run(Optional<Path> configFile, Map<String, String> env, PrintStream err) {
        AgentConfig config;
        ClusterSecrets secrets;
        try {
            config = new AgentConfigLoader(env).load(configFile);
            secrets = ClusterSecrets.load(env, config);
        } catch (InvalidConfigException e) {
            err.println("autopilot agent: " + configFile.map(Path::toString).orElse("environment") + " is invalid ("
                    + e.problems().size() + " problem" + (e.problems().size() == 1 ? "" : "s") + "):");
            e.problems().forEach(p -> err.println("  " + p));
            return 2;
        }
        SecretFileAccess.warnings(env, config.secretsDir()).forEach(w -> LOG.warn("{}: {}", config.member().name(), w));
        Agent agent = new Agent(config, secrets);
        CountDownLatch stop = new CountDownLatch(1);
        for (String sig : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(sig), s -> {
                LOG.info("{}: received SIG{}; stopping gracefully", config.member().name(), s.getName());
                stop.countDown();
            });
        }
        OrphanReaper reaper = null;
        if (Posix.getpid() == 1) {
            reaper = new OrphanReaper(agent.children(), Duration.ofMillis(500), Duration.ofSeconds(1));
            reaper.start();
        }
        try {
            agent.start();
            LOG.info("{}: agent running (cluster {}, API {}:{})", config.member().name(), config.cluster(),
                    config.api().address(), config.api().port());
            stop.await();
            agent.stop();
            return 0;
        } catch (CoordinationException e) {
            err.println("autopilot agent: coordination store " + config.coordination().endpoints() + " unreachable: "
                    + e.getMessage() + " (start it, or fix coordination.endpoints)");
            return 1;
        } catch (Exception e) {
            err.println("autopilot agent: " + config.member().name() + " could not start: " + e.getMessage());
            LOG.debug("startup failure", e);
            try {
                agent.stop();
            } catch (Exception ignored) {
                // Best effort: the original failure is what the operator needs to see.
            }
            return 1;
        } finally {
            if (reaper != null) {
                reaper.close();
            }
        }
    }
}
