package dev.autopilot.agent.db;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * This member's running {@code mariadbd}, found by its command line: the process whose arguments name this member's
 * option file ({@code --defaults-file=<runDir>/my.cnf}). That finds the server whoever started it — the agent's
 * supervisor, or an agent that crashed and left it behind — and never another member's server on the same host, and
 * it cannot be fooled by a stale pid file whose number was reused.
 */
final class ServerProcess {
    private final String marker;

    ServerProcess(Path optionFile) {
        this.marker = "--defaults-file=" + optionFile;
    }

    /** The running server, if any (a stopped — SIGSTOP — server counts as running). */
    Optional<ProcessHandle> find() {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().arguments().map(List::of).filter(args -> args.contains(marker)).isPresent())
                .filter(p -> p.info().command().filter(c -> c.endsWith("mariadbd") || c.endsWith("mysqld")).isPresent())
                .findFirst();
    }

    /**
     * SIGKILL, which a stopped or stalled process cannot ignore, then waits up to {@code exitWithin} for it to be gone
     * (its sockets close only then). True when it has exited.
     */
    static boolean kill(ProcessHandle server, Duration exitWithin) throws InterruptedException {
        server.destroyForcibly();
        try {
            server.onExit().get(exitWithin.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException | ExecutionException e) {
            return !server.isAlive();
        }
    }
}
