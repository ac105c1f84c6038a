package dev.autopilot.coordination.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.autopilot.coordination.LeaseLoss;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** Pure logic of the holder-side deadline: TTL − margin after the last renewal's send time, fired once. */
class LeaseDeadlineTest {

    @Test
    void firesOnceAtTtlMinusMarginAfterTheLastRenewalWasSent() {
        AtomicLong firedAt = new AtomicLong();
        AtomicInteger fired = new AtomicInteger();
        long sent = System.nanoTime();
        LeaseDeadline d = new LeaseDeadline("t", Duration.ofMillis(600), Duration.ofMillis(200), sent, at -> {
            firedAt.set(at);
            fired.incrementAndGet();
        });
        d.start();
        await().atMost(Duration.ofSeconds(2)).until(() -> fired.get() == 1);
        long elapsed = firedAt.get() - sent;
        // not before TTL − margin, and (the safety property) well before the TTL itself
        assertThat(elapsed).isBetween(Duration.ofMillis(400).toNanos(), Duration.ofMillis(550).toNanos());
        assertThat(d.passed()).isTrue();
        assertThat(d.cancel()).as("already fired").isFalse();
        assertThat(fired.get()).isEqualTo(1);
    }

    @Test
    void aRenewalMovesTheDeadlineForwardButNeverBack() {
        AtomicLong firedAt = new AtomicLong();
        long start = System.nanoTime();
        LeaseDeadline d = new LeaseDeadline("t", Duration.ofMillis(600), Duration.ofMillis(200), start, firedAt::set);
        d.start();
        long renewedSent = start + Duration.ofMillis(300).toNanos();
        d.renewed(renewedSent);
        d.renewed(start); // an older, late answer must not pull the deadline back
        assertThat(d.deadlineNanos()).isEqualTo(renewedSent + Duration.ofMillis(400).toNanos());
        await().atMost(Duration.ofSeconds(2)).until(() -> firedAt.get() != 0);
        assertThat(firedAt.get()).isGreaterThanOrEqualTo(renewedSent + Duration.ofMillis(400).toNanos());
    }

    @Test
    void cancelledDeadlineNeverFires() throws Exception {
        AtomicInteger fired = new AtomicInteger();
        LeaseDeadline d = new LeaseDeadline("t", Duration.ofMillis(300), Duration.ofMillis(100), System.nanoTime(), at -> fired.incrementAndGet());
        d.start();
        assertThat(d.cancel()).isTrue();
        Thread.sleep(400); // past the deadline: proves the absence of a call, which no condition can wait for
        assertThat(fired.get()).isZero();
    }

    @Test
    void holderThatStopsConfirmingIsLostAtTheConfirmationBoundBeforeTheRenewalDeadline() {
        AtomicLong firedAt = new AtomicLong();
        AtomicReference<LeaseLoss.Reason> why = new AtomicReference<>();
        long start = System.nanoTime();
        LeaseDeadline d = new LeaseDeadline("t", Duration.ofMillis(1200), Duration.ofMillis(200), Optional.of(Duration.ofMillis(400)), start,
                (at, reason) -> {
                    why.set(reason);
                    firedAt.set(at);
                });
        d.start();
        long confirmed = start + Duration.ofMillis(100).toNanos();
        d.confirmed(confirmed);
        d.confirmed(start); // an older confirmation must not pull the deadline back
        d.renewed(start + Duration.ofMillis(150).toNanos()); // renewals keep going: they do not extend the confirmation bound
        assertThat(d.deadlineNanos()).isEqualTo(confirmed + Duration.ofMillis(400).toNanos());
        await().atMost(Duration.ofSeconds(2)).until(() -> firedAt.get() != 0);
        assertThat(why.get()).isEqualTo(LeaseLoss.Reason.NOT_CONFIRMED);
        assertThat(firedAt.get() - confirmed).isBetween(Duration.ofMillis(400).toNanos(), Duration.ofMillis(550).toNanos());
    }

    @Test
    void confirmationsNeverKeepTheLeasePastTheRenewalDeadline() {
        AtomicReference<LeaseLoss.Reason> why = new AtomicReference<>();
        long start = System.nanoTime();
        LeaseDeadline d = new LeaseDeadline("t", Duration.ofMillis(600), Duration.ofMillis(200), Optional.of(Duration.ofMillis(300)), start,
                (at, reason) -> why.set(reason));
        d.start();
        long until = start + Duration.ofMillis(700).toNanos();
        while (System.nanoTime() < until && why.get() == null) { // confirming steadily, never renewing
            d.confirmed(System.nanoTime());
            assertThat(d.deadlineNanos()).isLessThanOrEqualTo(start + Duration.ofMillis(400).toNanos());
            LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
        }
        await().atMost(Duration.ofSeconds(2)).until(() -> why.get() != null);
        assertThat(why.get()).isEqualTo(LeaseLoss.Reason.DEADLINE_PASSED);
    }
}
