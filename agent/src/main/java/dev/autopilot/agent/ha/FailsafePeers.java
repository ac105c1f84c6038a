package dev.autopilot.agent.ha;

import dev.autopilot.agent.cluster.MemberRecord;
import java.time.Duration;
import java.util.Collection;
import java.util.Set;

/**
 * The primary's side of failsafe mode: asks every member's agent, at once, to promise not to take the leader lock for
 * a window measured by that member's own clock from when it receives the request. {@link RestFailsafePeers} is the real
 * one ({@code POST /failsafe}); {@code HaCycleTest} uses an in-memory one.
 */
public interface FailsafePeers {

    /**
     * Sends one request to each of {@code members} and waits at most {@code timeout} for the answers.
     *
     * @param primary the member asking (this one)
     * @param window  how long each member is asked to refrain from taking the lock, by its own clock
     * @return the names of the members that confirmed; a member that refused, failed or did not answer in time is absent
     */
    Set<String> confirm(String primary, Collection<MemberRecord> members, Duration window, Duration timeout);
}
