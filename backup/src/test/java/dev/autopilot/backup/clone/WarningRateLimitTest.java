package dev.autopilot.backup.clone;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The rate limit on warnings about strangers, on a hand-driven clock (pure decision logic). */
class WarningRateLimitTest {

    @Test
    void oneWarningPerIntervalAndTheNextSaysHowManyWereHeldBack() {
        AtomicLong now = new AtomicLong(1_000);
        WarningRateLimit limit = new WarningRateLimit(Duration.ofSeconds(30), now::get);
        assertThat(limit.admit()).isZero();
        for (int i = 0; i < 500; i++) {
            now.addAndGet(Duration.ofMillis(10).toNanos());
            assertThat(limit.admit()).isEqualTo(-1);
        }
        now.addAndGet(Duration.ofSeconds(30).toNanos());
        assertThat(limit.admit()).isEqualTo(500);
        assertThat(WarningRateLimit.heldBack(500)).contains("500 more");
        assertThat(WarningRateLimit.heldBack(0)).isEmpty();
    }
}
