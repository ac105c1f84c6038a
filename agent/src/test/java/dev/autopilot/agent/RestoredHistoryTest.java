package dev.autopilot.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.autopilot.agent.lifecycle.MemberData;
import dev.autopilot.mysql.gtid.GtidPosition;
import org.junit.jupiter.api.Test;

/** The binlog history a restored copy is seeded with never runs ahead of the copy. */
class RestoredHistoryTest {

    @Test
    void keepsOlderOriginsAndDropsWhatLiesPastTheCopy() {
        GtidPosition known = GtidPosition.parse("0-1-40,0-2-95,0-3-120");
        GtidPosition copy = GtidPosition.parse("0-2-100");
        assertThat(MemberData.historyUpTo(known, copy)).isEqualTo(GtidPosition.parse("0-1-40,0-2-100"));
    }

    @Test
    void aDomainTheCopyLacksIsNotSeeded() {
        assertThat(MemberData.historyUpTo(GtidPosition.parse("0-1-5,7-9-3"), GtidPosition.parse("0-1-5")))
                .isEqualTo(GtidPosition.parse("0-1-5"));
    }
}
