package dev.autopilot.supervisor.process;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Map;
import java.util.Optional;

/**
 * The few Linux system calls the JDK does not offer, through the FFM API (needs
 * {@code --enable-native-access=ALL-UNNAMED}). Stateless: method handles are looked up once.
 */
public final class Posix {
    /** Linux signal numbers (identical on x86_64 and aarch64) for the signals the supervisor handles. */
    public static final Map<String, Integer> SIGNALS = Map.of(
            "SIGHUP", 1, "SIGINT", 2, "SIGQUIT", 3, "SIGKILL", 9, "SIGUSR1", 10,
            "SIGUSR2", 12, "SIGTERM", 15, "SIGCONT", 18, "SIGSTOP", 19);

    public static final int SIGKILL = 9;
    private static final int ESRCH = 3;
    private static final int PR_SET_CHILD_SUBREAPER = 36;
    private static final int P_ALL = 0;
    private static final int P_PID = 1;
    private static final int WNOHANG = 1;
    private static final int WEXITED = 4;
    private static final int WNOWAIT = 0x0100_0000;
    /** siginfo_t is 128 bytes on Linux; for SIGCHLD si_pid sits at offset 16. */
    private static final long SIGINFO_SIZE = 128;
    private static final long SI_PID_OFFSET = 16;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(
            java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;

    private static final MethodHandle GETPID = downcall("getpid", FunctionDescriptor.of(INT));
    private static final MethodHandle KILL = downcall("kill", FunctionDescriptor.of(INT, INT, INT), CAPTURE_ERRNO);
    private static final MethodHandle PRCTL = downcall("prctl",
            FunctionDescriptor.of(INT, INT, ValueLayout.JAVA_LONG), CAPTURE_ERRNO);
    private static final MethodHandle WAITID = downcall("waitid",
            FunctionDescriptor.of(INT, INT, INT, ValueLayout.ADDRESS, INT), CAPTURE_ERRNO);

    private Posix() {}

    private static MethodHandle downcall(String name, FunctionDescriptor fd, Linker.Option... options) {
        MemorySegment addr = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        return LINKER.downcallHandle(addr, fd, options);
    }

    /** Signal number for a name such as {@code SIGHUP} or {@code HUP}. */
    public static Optional<Integer> signalNumber(String name) {
        String n = name.startsWith("SIG") ? name : "SIG" + name;
        return Optional.ofNullable(SIGNALS.get(n));
    }

    public static int getpid() {
        try {
            return (int) GETPID.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("getpid failed", t);
        }
    }

    /** {@code prctl(PR_SET_CHILD_SUBREAPER, 1)}: orphans of our descendants are re-parented to us. */
    public static void becomeChildSubreaper() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int rc = (int) PRCTL.invokeExact(state, PR_SET_CHILD_SUBREAPER, 1L);
            if (rc != 0) {
                throw new IllegalStateException("prctl(PR_SET_CHILD_SUBREAPER) failed, errno " + errno(state));
            }
        } catch (IllegalStateException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("prctl failed", t);
        }
    }

    /**
     * Sends {@code signal} to the process group {@code pgid} ({@code kill(-pgid, sig)}); if that group
     * does not exist (yet), to the process {@code pgid} itself. Jobs are launched through
     * {@code setsid}, which makes the job's process the leader of a new group with id = its pid; between
     * the JVM's fork and setsid's {@code setsid()} call the group does not exist, hence the fallback.
     *
     * @return true if a process received the signal
     */
    public static boolean killGroup(long pgid, int signal) {
        if (pgid <= 1) {
            throw new IllegalArgumentException("refusing to signal process group " + pgid);
        }
        return kill((int) -pgid, signal) == 0 || kill((int) pgid, signal) == 0;
    }

    /** {@code kill(pid, sig)}; returns 0 or the errno. */
    public static int kill(int pid, int signal) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int rc = (int) KILL.invokeExact(state, pid, signal);
            return rc == 0 ? 0 : errno(state);
        } catch (Throwable t) {
            throw new IllegalStateException("kill failed", t);
        }
    }

    /** Whether {@code kill(pid, 0)} finds the process (or group, for a negative pid). */
    public static boolean exists(int pid) {
        return kill(pid, 0) != ESRCH;
    }

    /**
     * Looks, without reaping, for a child that has exited: {@code waitid(P_ALL, 0, &info,
     * WEXITED|WNOWAIT|WNOHANG)}. Leaves the zombie in place so the JVM's own process reaper can still
     * collect the exit status of the processes it started.
     *
     * @return the pid of one exited child, or 0 if none (or no children at all)
     */
    public static int peekExitedChild() {
        return waitid(P_ALL, 0, WEXITED | WNOWAIT | WNOHANG);
    }

    /** Reaps exactly {@code pid} if it has exited: {@code waitid(P_PID, pid, WEXITED|WNOHANG)}. */
    public static boolean reap(int pid) {
        return waitid(P_PID, pid, WEXITED | WNOHANG) == pid;
    }

    private static int waitid(int idtype, int id, int options) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment info = arena.allocate(SIGINFO_SIZE, 8); // zeroed: si_pid stays 0 when nothing exited
            int rc = (int) WAITID.invokeExact(state, idtype, id, info, options);
            if (rc != 0) {
                return 0; // ECHILD (no children) or EINTR: nothing to report now
            }
            return info.get(INT, SI_PID_OFFSET);
        } catch (Throwable t) {
            throw new IllegalStateException("waitid failed", t);
        }
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }
}
