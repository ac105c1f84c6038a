package dev.autopilot.agent.it;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Violations the fault suite found, each pinned to the seed and fault that showed it, asserting every invariant of
 * the checker. Disabled until issue 11's fix for it is merged; enable by removing the annotation.
 */
@Timeout(value = 9, unit = TimeUnit.MINUTES)
class FaultScenariosTest {

    /** Seed 3, zero-loss: the primary's agent SIGSTOPped for 9.5 s (found: 26 acknowledged writes lost, 316 reads gone backwards). */
    @Test
    @Disabled("issue 11 #5: a frozen agent cannot fence; its mariadbd kept acknowledging writes (semi-sync acks from a replica still "
            + "connected to it) after db2 was promoted, and they were discarded when that replica was rebuilt as diverged")
    void aPrimaryWhoseAgentIsFrozenForTenSecondsLosesNoAcknowledgedWrite() throws Exception {
        FaultSuiteTest.assertInvariants(FaultSuiteTest.campaign("FaultScenariosTest-frozen-agent", "--seed", "3", "--minutes", "2",
                "--zero-loss", "--on", "primary", "--faults", "1", "--kinds", "PAUSE_AGENT", "--recovery", "90"), FaultSuiteTest.INVARIANTS);
    }

    /** Seed 2's KILL_AGENT, zero-loss: the agent killed alone never comes back (found: stuck, restarted 9 times in 120 s). */
    @Test
    @Disabled("issue 11 #12: the restarted agent refuses to start while its orphan mariadbd holds the port "
            + "(\"could not start: port ...:3306 is in use\"), every restart, until an operator kills the orphan")
    void anAgentKilledWhileItsDatabaseRunsOnIsBackWithinTheBound() throws Exception {
        FaultSuiteTest.assertInvariants(FaultSuiteTest.campaign("FaultScenariosTest-orphan", "--seed", "2", "--minutes", "2",
                "--zero-loss", "--on", "replica", "--faults", "1", "--kinds", "KILL_AGENT", "--recovery", "60"), FaultSuiteTest.INVARIANTS);
    }
}
