package dev.autopilot.agent.it;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Violations the fault suite found, each pinned to the seed and fault that showed it, asserting every invariant of
 * the checker. Each failed on a77a1d5 and passes with issue 11's fixes.
 */
@Timeout(value = 9, unit = TimeUnit.MINUTES)
class FaultScenariosTest {

    /**
     * Seed 3, zero-loss, first fault: the primary's agent SIGSTOPped for 9.5 s. Found on a77a1d5: 26 acknowledged writes
     * lost, 316 reads on a primary gone backwards.
     */
    @Test
    void aPrimaryWhoseAgentIsFrozenForTenSecondsLosesNoAcknowledgedWrite() throws Exception {
        FaultSuiteTest.assertInvariants(FaultSuiteTest.campaign("FaultScenariosTest-frozen-agent", "--seed", "3", "--minutes", "2",
                "--zero-loss", "--on", "primary", "--faults", "1", "--kinds", "KILL_AGENT,PAUSE_AGENT", "--recovery", "120"),
                FaultSuiteTest.INVARIANTS);
    }

    /**
     * Seed 5, zero-loss: the primary's agent killed alone (its mariadbd runs on). Found on a77a1d5: the orphan stayed
     * writable beside the new primary until forced down 2 minutes later (2,116 two-writable samples), the 3,454 writes it
     * acknowledged meanwhile were lost, and the restarted agent refused to start ("port ...:3306 is in use") every time.
     */
    @Test
    void aPrimaryWhoseAgentIsKilledAloneNeverLeavesTwoWritableMembers() throws Exception {
        FaultSuiteTest.assertInvariants(FaultSuiteTest.campaign("FaultScenariosTest-orphan", "--seed", "5", "--minutes", "2",
                "--zero-loss", "--on", "primary", "--faults", "1", "--kinds", "KILL_AGENT", "--recovery", "120"), FaultSuiteTest.INVARIANTS);
    }
}
