package dev.autopilot.mysql.gtid;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ErrantTransactionsTest {

    @Test
    void returningOldPrimaryWithUnreplicatedCommitsHasErrantRange() {
        // Old primary (server 1) committed 99 and 100; the new primary (server 2) had applied up to 98.
        GtidPosition oldPrimary = GtidPosition.parse("0-1-100");
        GtidPosition newPrimary = GtidPosition.parse("0-1-98,0-2-105");
        var errant = ErrantTransactions.find(oldPrimary, newPrimary);
        assertThat(errant).singleElement().satisfies(r -> {
            assertThat(r.origin()).isEqualTo(new DomainServer(0, 1));
            assertThat(r.localSequence()).isEqualTo(100);
            assertThat(r.primarySequence()).isEqualTo(98);
            assertThat(r.maxCount()).isEqualTo(2);
            assertThat(r.toString()).isEqualTo("0-1-(98..100]");
        });
        assertThat(oldPrimary.isSubsetOf(newPrimary)).isFalse();
    }

    @Test
    void replicaThatOnlyAppliedThePrimarysTransactionsHasNone() {
        assertThat(ErrantTransactions.find(GtidPosition.parse("0-1-98,0-2-101"), GtidPosition.parse("0-1-98,0-2-105"))).isEmpty();
    }

    @Test
    void localWriteFromAServerThePrimaryNeverSawIsErrant() {
        var errant = ErrantTransactions.find(GtidPosition.parse("0-1-50,7-3-2"), GtidPosition.parse("0-1-60"));
        assertThat(errant).singleElement().satisfies(r -> {
            assertThat(r.origin()).isEqualTo(new DomainServer(7, 3));
            assertThat(r.primaryHasOrigin()).isFalse();
        });
    }

    @Test
    void primaryRestoredFromSnapshotKnowsHistoryThroughSlavePosition() {
        GtidPosition primaryBinlogState = GtidPosition.parse("0-2-105");
        GtidPosition primarySlavePos = GtidPosition.parse("0-1-98");
        GtidPosition replica = GtidPosition.parse("0-1-98");
        assertThat(ErrantTransactions.find(replica, primaryBinlogState)).hasSize(1);
        assertThat(ErrantTransactions.find(replica, primaryBinlogState.merge(primarySlavePos))).isEmpty();
    }
}
