package dev.autopilot.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.util.Map;

/**
 * The operator log, configured in code rather than by logback.xml: the XML configurator alone loads some 650
 * classes (about 5 MB of an always-on process's memory). Time, level, the logger's short name, message, on
 * stderr; {@code AUTOPILOT_LOG_LEVEL=debug} for more. Found by logback through {@code META-INF/services}.
 */
public final class LogSetup extends ContextAwareBase implements Configurator {
    /** System property: the level when {@code AUTOPILOT_LOG_LEVEL} is not set (INFO; WARN for commands that print an answer). */
    static final String DEFAULT_LEVEL = "autopilot.log.level";

    /** Libraries whose INFO lines are noise for operators. */
    private static final Map<String, Level> QUIET = Map.of("software.amazon", Level.WARN, "org.mariadb", Level.ERROR);

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%d{HH:mm:ss.SSS} %-5level %logger{0} - %msg%n");
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("stderr");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.addAppender(stderr);
        String level = System.getenv("AUTOPILOT_LOG_LEVEL");
        root.setLevel(Level.toLevel(level == null ? System.getProperty(DEFAULT_LEVEL, "INFO") : level, Level.INFO));
        QUIET.forEach((name, l) -> context.getLogger(name).setLevel(l));
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
