package dev.autopilot.mysql.gtid;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GtidSetTest {

    static final String A = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    static final String B = "9b1b8a4c-0000-11ee-8000-000000000002";

    @Test
    void parsesAndNormalisesIntervals() {
        GtidSet s = GtidSet.parse(A + ":7-9:1-5:6:12");
        assertThat(s.format()).isEqualTo(A + ":1-9:12");
        assertThat(s.count()).isEqualTo(10);
        assertThat(s.bySource().get(UUID.fromString(A))).containsExactly(new GtidSet.Interval(1, 9), new GtidSet.Interval(12, 12));
    }

    @Test
    void mergesRepeatedSourcesAndIgnoresWhitespaceAndCase() {
        GtidSet s = GtidSet.parse(A.toUpperCase() + ":1-3,\n" + B + ":4, " + A + ":2-8");
        assertThat(s.format()).isEqualTo(A + ":1-8," + B + ":4");
    }

    @Test
    void blankIsEmpty() {
        assertThat(GtidSet.parse("").isEmpty()).isTrue();
        assertThat(GtidSet.parse(" \n").count()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"nonsense", A, A + ":", A + ":0", A + ":5-3", A + ":a", A + ":1-2-3", A + ":tag:1",
            "3e11fa47-71ca-11e1-9e33:1", A + ":1,", "," + A + ":1", A + ":-1"})
    void rejectsMalformedText(String text) {
        assertThatThrownBy(() -> GtidSet.parse(text)).isInstanceOf(GtidFormatException.class).hasMessageContaining(text.isEmpty() ? "" : "GTID");
    }

    @Test
    void containmentAndDifference() {
        GtidSet primary = GtidSet.parse(A + ":1-100," + B + ":1-5");
        GtidSet replica = GtidSet.parse(A + ":1-90");
        GtidSet errantReplica = GtidSet.parse(A + ":1-90," + B + ":1-6");
        assertThat(primary.includes(replica)).isTrue();
        assertThat(replica.isSubsetOf(primary)).isTrue();
        assertThat(errantReplica.isSubsetOf(primary)).isFalse();
        assertThat(ErrantTransactions.find(errantReplica, primary).format()).isEqualTo(B + ":6");
        assertThat(primary.minus(GtidSet.parse(A + ":10-20:50"))).isEqualTo(GtidSet.parse(A + ":1-9:21-49:51-100," + B + ":1-5"));
        assertThat(replica.union(GtidSet.parse(A + ":91-95"))).isEqualTo(GtidSet.parse(A + ":1-95"));
        assertThat(primary.contains(UUID.fromString(B), 5)).isTrue();
        assertThat(primary.contains(UUID.fromString(B), 6)).isFalse();
    }

    @Test
    void mostAdvancedAmongSets() {
        GtidSet a = GtidSet.parse(A + ":1-10");
        GtidSet b = GtidSet.parse(A + ":1-12");
        GtidSet c = GtidSet.parse(A + ":1-11," + B + ":1");
        assertThat(ReplicationPosition.mostAdvanced(List.of(a, b))).contains(b);
        assertThat(ReplicationPosition.mostAdvanced(List.of(a, b, c))).isEmpty();
    }

    @Test
    void refusesToCompareWithMariaDbPosition() {
        assertThatThrownBy(() -> GtidSet.parse(A + ":1").includes(GtidPosition.parse("0-1-1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("MariaDB");
    }
}
