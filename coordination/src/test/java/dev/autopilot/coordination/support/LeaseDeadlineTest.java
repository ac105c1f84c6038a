package dev.autopilot.coordination.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
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
}
