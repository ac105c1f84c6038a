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

    /**
     * Seed 501, zero-loss: the primary's data directory full (a tmpfs of its own). In the campaign of this seed on
     * d9c41ac the replicas' receivers stopped with "Relay log write failure" (1595) and stayed down for good, and in seed
     * 31's a former primary took its own writes for errant ones against the stalled primary's empty record and rebuilt
     * itself; on 15adbe7 (CI) the fenced full primary, "more advanced" by the stalled commits its fence had committed,
     * took the lock back and its dump threads hung on its torn binlog: the replicas never converged; and in one of six
     * runs on 51a0fbe readers saw rows on it that the member promoted next never had (reads gone backwards). Which of
     * these a run meets depends on timing; HaCycleTest pins each rule, this proves the fault on real servers: the full
     * primary stopped, replaced, back without an operator, no acknowledged write lost, never two writable members, no
     * read gone backwards.
     */
    @Test
    void aPrimaryWhoseDiskFillsIsReplacedAndEveryMemberComesBackWithoutAnOperator() throws Exception {
        FaultSuiteTest.assertInvariants(FaultSuiteTest.campaign("FaultScenariosTest-disk-full", "--seed", "501", "--minutes", "2",
                "--zero-loss", "--on", "primary", "--faults", "1", "--kinds", "DISK_FULL", "--recovery", "120"), FaultSuiteTest.INVARIANTS);
    }
}
