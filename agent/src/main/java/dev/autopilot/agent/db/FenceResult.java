package dev.autopilot.agent.db;

import java.time.Duration;

/**
 * How one fence of this member's server ended. Only a result whose {@link #writesStopped()} is true may be reported
 * (or acted on, e.g. by releasing the leader lock) as "fenced"; a {@link Kind#FAILED} fence leaves a server that may
 * still accept writes.
 *
 * @param kind           how writes were stopped, or that they were not
 * @param sessionsKilled client sessions killed on the way (0 when the server was killed or not running)
 * @param took           from the start of the fence to this result
 * @param detail         for the log: what happened, in a few words
 */
public record FenceResult(Kind kind, int sessionsKilled, Duration took, String detail) {

    /** The ways a fence ends. */
    public enum Kind {
        /** The server answered: it is read-only and client sessions were killed. */
        READ_ONLY,
        /** The server did not become read-only within the bound and was killed (SIGKILL); the supervisor restarts it read-only. */
        SERVER_KILLED,
        /** No server process runs on this member's option file: nothing can accept writes. */
        NOT_RUNNING,
        /** The server may still accept writes: it neither became read-only nor could be killed. */
        FAILED
    }

    /** True when no client can commit on this member's server any more. */
    public boolean writesStopped() {
        return kind != Kind.FAILED;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case READ_ONLY -> "read-only in " + took.toMillis() + " ms, " + sessionsKilled + " client session(s) killed";
            case SERVER_KILLED -> "server killed after " + took.toMillis() + " ms (" + detail + ")";
            case NOT_RUNNING -> "server not running (" + detail + ")";
            case FAILED -> "FAILED after " + took.toMillis() + " ms: " + detail;
        };
    }
}
