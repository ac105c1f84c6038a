package dev.autopilot.agent.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The rebuild's retry logic, with attempts that fail on purpose (the real rebuild is covered by the cluster tests): a
 * failed rebuild no longer leaves the member PROVISIONING with its database stopped for good.
 */
class RebuildTest {
    private static final Backoff FAST = new Backoff(Duration.ofMillis(10), Duration.ofMillis(40));

    private final AgentLifecycle lifecycle = new AgentLifecycle("db1", new SimpleMeterRegistry());
    private final List<AgentState> states = new CopyOnWriteArrayList<>();

    RebuildTest() {
        lifecycle.onChange(states::add);
        lifecycle.move(AgentState.STARTING, AgentState.RUNNING);
        states.clear();
    }

    @Test
    void aRebuildThatFailsIsRetriedWithBackoffUntilItSucceeds() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(1);
        Rebuild rebuild = new Rebuild("db1", lifecycle, FAST);

        assertThat(rebuild.start("test", () -> {
            if (attempts.incrementAndGet() < 3) {
                throw new IOException("no member could be cloned");
            }
        }, done::countDown)).isTrue();

        assertThat(done.await(10, TimeUnit.SECONDS)).as("rebuilt").isTrue();
        assertThat(attempts).hasValue(3);
        assertThat(states).containsExactly(AgentState.PROVISIONING, AgentState.REBUILD_FAILED, AgentState.PROVISIONING,
                AgentState.REBUILD_FAILED, AgentState.PROVISIONING, AgentState.RUNNING);
        await().atMost(Duration.ofSeconds(5)).until(() -> !rebuild.isRunning());
    }

    @Test
    void aSecondRequestWhileARebuildRunsIsIgnored() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger attempts = new AtomicInteger();
        Rebuild rebuild = new Rebuild("db1", lifecycle, FAST);
        rebuild.start("first", () -> {
            attempts.incrementAndGet();
            release.await();
        }, () -> {});

        assertThat(rebuild.start("second", attempts::incrementAndGet, () -> {})).isFalse();
        release.countDown();
        await().atMost(Duration.ofSeconds(5)).until(() -> lifecycle.state() == AgentState.RUNNING);
        assertThat(attempts).hasValue(1);
    }

    @Test
    void aStopEndsTheRetries() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        Rebuild rebuild = new Rebuild("db1", lifecycle, new Backoff(Duration.ofMinutes(1), Duration.ofMinutes(1)));
        rebuild.start("test", () -> {
            attempts.incrementAndGet();
            throw new IOException("no member could be cloned");
        }, () -> {});
        await().atMost(Duration.ofSeconds(5)).until(() -> lifecycle.state() == AgentState.REBUILD_FAILED);

        lifecycle.moveFromAny(AgentState.STOPPING);
        rebuild.close(); // returns once the retry loop has ended, not a minute later

        assertThat(rebuild.isRunning()).isFalse();
        assertThat(attempts).hasValue(1);
        assertThat(lifecycle.state()).isEqualTo(AgentState.STOPPING);
    }

    @Test
    void backoffDoublesUpToItsBound() {
        Backoff backoff = new Backoff(Duration.ofSeconds(5), Duration.ofMinutes(5));
        assertThat(List.of(1, 2, 3, 4, 7, 8, 1000).stream().map(backoff::after).map(Duration::toSeconds).toList())
                .containsExactly(5L, 10L, 20L, 40L, 300L, 300L, 300L);
    }
}
