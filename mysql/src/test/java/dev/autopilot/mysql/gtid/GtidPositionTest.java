package dev.autopilot.mysql.gtid;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GtidPositionTest {

    @Test
    void parsesAndFormatsMultiDomainPositionInCanonicalOrder() {
        GtidPosition p = GtidPosition.parse("1-3-7,0-1-42");
        assertThat(p.gtids()).containsExactly(new Gtid(0, 1, 42), new Gtid(1, 3, 7));
        assertThat(p.format()).isEqualTo("0-1-42,1-3-7");
        assertThat(GtidPosition.parse(p.format())).isEqualTo(p);
    }

    @Test
    void toleratesWhitespaceAndNewlinesTheServerInserts() {
        assertThat(GtidPosition.parse(" 0-1-42,\n1-3-7 ").format()).isEqualTo("0-1-42,1-3-7");
    }

    @Test
    void blankIsTheEmptyPosition() {
        assertThat(GtidPosition.parse("").isEmpty()).isTrue();
        assertThat(GtidPosition.parse("  ").format()).isEmpty();
        assertThat(GtidPosition.empty().gtids()).isEmpty();
    }

    @Test
    void acceptsFullUnsignedRanges() {
        GtidPosition p = GtidPosition.parse("4294967295-4294967295-18446744073709551615");
        assertThat(p.format()).isEqualTo("4294967295-4294967295-18446744073709551615");
        assertThat(p.includes(GtidPosition.parse("4294967295-1-9223372036854775808"))).isTrue();
        assertThat(GtidPosition.parse("4294967295-1-9223372036854775808").includes(p)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"0-1", "0-1-2-3", "a-1-2", "0-b-2", "0-1-c", "-1-1-2", "0--1-2", "+0-1-2", "0-1-+2",
            "0-1-2,", ",0-1-2", "0-1-2,,1-1-1", "4294967296-1-1", "0-4294967296-1", "0-1-18446744073709551616", "0 1 2"})
    void rejectsMalformedText(String text) {
        assertThatThrownBy(() -> GtidPosition.parse(text))
                .isInstanceOf(GtidFormatException.class)
                .hasMessageContaining("not a MariaDB GTID");
    }

    @Test
    void rejectsTheSameDomainServerTwice() {
        assertThatThrownBy(() -> GtidPosition.parse("0-1-5,0-1-6"))
                .isInstanceOf(GtidFormatException.class).hasMessageContaining("0-1 appears twice");
    }

    @Test
    void rejectsNull() {
        assertThatThrownBy(() -> GtidPosition.parse(null)).isInstanceOf(GtidFormatException.class);
    }

    @Test
    void binlogStateHasSeveralServersPerDomainAndDomainViewKeepsTheHighest() {
        GtidPosition state = GtidPosition.parse("0-1-98,0-2-105,1-1-3");
        assertThat(state.byDomain()).isEqualTo(Map.of(0L, new Gtid(0, 2, 105), 1L, new Gtid(1, 1, 3)));
        assertThat(state.byOrigin()).containsEntry(new DomainServer(0, 1), 98L).containsEntry(new DomainServer(0, 2), 105L);
        assertThat(state.perDomain().format()).isEqualTo("0-2-105,1-1-3");
        assertThat(state.sequenceInDomain(0)).contains(105L);
        assertThat(state.sequenceInDomain(9)).isEmpty();
    }

    @Test
    void includesComparesHighestSequencePerDomain() {
        GtidPosition ahead = GtidPosition.parse("0-2-10");
        GtidPosition behind = GtidPosition.parse("0-1-9");
        assertThat(ahead.includes(behind)).isTrue(); // another server's later GTID still means further along
        assertThat(behind.includes(ahead)).isFalse();
        assertThat(ahead.includes(ahead)).isTrue();
        assertThat(ahead.includes(GtidPosition.empty())).isTrue();
        assertThat(GtidPosition.empty().includes(ahead)).isFalse();
    }

    @Test
    void aMissingDomainIsNotIncluded() {
        assertThat(GtidPosition.parse("0-1-100").includes(GtidPosition.parse("0-1-5,1-1-1"))).isFalse();
    }

    @Test
    void subsetIsPerDomainAndServer() {
        GtidPosition replica = GtidPosition.parse("0-1-5");
        GtidPosition primaryState = GtidPosition.parse("0-1-5,0-2-10");
        assertThat(replica.isSubsetOf(primaryState)).isTrue();
        // Same domain, the primary is further along, but it never saw server 3's transaction: errant.
        assertThat(GtidPosition.parse("0-3-6").isSubsetOf(primaryState)).isFalse();
    }

    @Test
    void mergeKeepsHighestPerOrigin() {
        GtidPosition merged = GtidPosition.parse("0-1-5,0-2-3").merge(GtidPosition.parse("0-1-4,1-1-1"));
        assertThat(merged.format()).isEqualTo("0-1-5,0-2-3,1-1-1");
        assertThat(GtidPosition.of(new Gtid(0, 1, 3), new Gtid(0, 1, 9)).format()).isEqualTo("0-1-9");
    }

    @Test
    void mostAdvancedPicksThePositionIncludingAllOthers() {
        GtidPosition a = GtidPosition.parse("0-1-5");
        GtidPosition b = GtidPosition.parse("0-1-7");
        GtidPosition c = GtidPosition.parse("0-2-6");
        assertThat(ReplicationPosition.mostAdvanced(List.of(a, b, c))).contains(b);
        assertThat(ReplicationPosition.mostAdvanced(List.<GtidPosition>of())).isEmpty();
    }

    @Test
    void mostAdvancedIsEmptyWhenPositionsDiverge() {
        GtidPosition a = GtidPosition.parse("0-1-5,1-1-9");
        GtidPosition b = GtidPosition.parse("0-1-7,1-1-2");
        assertThat(ReplicationPosition.mostAdvanced(List.of(a, b))).isEmpty();
    }

    @Test
    void refusesToCompareWithMySqlGtidSet() {
        assertThatThrownBy(() -> GtidPosition.parse("0-1-1").includes(GtidSet.parse("3e11fa47-71ca-11e1-9e33-c80aa9429562:1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("MySQL GTID set");
    }
}
