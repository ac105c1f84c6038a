package dev.autopilot.cli;

/** Exit codes shared by every subcommand, so scripts can tell failures apart. */
public final class ExitCodes {
    /** The command did what was asked. */
    public static final int OK = 0;
    /** The command ran but the cluster is not in the asked-for state (e.g. a member unhealthy). */
    public static final int FAILED = 1;
    /** Bad usage or invalid configuration: nothing was done. */
    public static final int USAGE = 2;
    /** The coordination store or an agent could not be reached. */
    public static final int UNREACHABLE = 3;
    /** The request was refused (authentication, or a safety rule). */
    public static final int REFUSED = 4;

    private ExitCodes() {}
}
