package dev.autopilot.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The AOT cache's training goes the way a real cluster makes the commands go: its stand-in agent answers as the agent
 * does, so a change to what the CLI reads (a record's components, an endpoint) that the stand-in no longer matches
 * fails here, not silently at package time (a failed training leaves the commands without their cache).
 */
class QuickTrainingTest {
    @Test
    void statusAndSwitchoverSucceedAgainstTheStandInAgent() throws Exception {
        assertThat(QuickTraining.train()).isZero();
    }
}
