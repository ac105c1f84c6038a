package dev.autopilot.agent.ha;

import static org.assertj.core.api.Assertions.assertThat;

import dev.autopilot.coordination.LeaseLoss;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The lease-loss fence against the JVM state the seed-501 campaign met: every virtual-thread carrier pinned by a native
 * call that a stalled server keeps waiting (JDBC over the unix socket is JNA). Pinned here by libc {@code sleep(3)}
 * through the Foreign Function API, which pins its carrier the same way.
 */
class LeaseLossFenceTest {
    private static final int PINNED_SECONDS = 3;

    @Test
    void leaseLossFencesAtOnceWhileEveryCarrierIsPinnedByAStalledDatabaseCall() throws Exception {
        List<Thread> pins = pinEveryCarrier();
        try {
            CountDownLatch virtualRan = new CountDownLatch(1);
            Thread.ofVirtual().start(virtualRan::countDown);
            assertThat(virtualRan.await(300, TimeUnit.MILLISECONDS)).as("the carriers are pinned (else this test proves nothing)").isFalse();

            CountDownLatch fenced = new CountDownLatch(1);
            new LeaseLossFence("db1", why -> fenced.countDown())
                    .onLeaseLost(new LeaseLoss("leader", "db1", LeaseLoss.Reason.DEADLINE_PASSED, System.nanoTime(), Duration.ofSeconds(3)));

            assertThat(fenced.await(500, TimeUnit.MILLISECONDS)).as("fence started within 500 ms although no virtual thread can run").isTrue();
        } finally {
            for (Thread t : pins) {
                t.join(Duration.ofSeconds(PINNED_SECONDS + 5));
            }
        }
    }

    /** One virtual thread per carrier, each inside a native call for {@link #PINNED_SECONDS}. */
    private static List<Thread> pinEveryCarrier() throws Exception {
        Linker linker = Linker.nativeLinker();
        MethodHandle sleep = linker.downcallHandle(linker.defaultLookup().find("sleep").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        int carriers = Integer.getInteger("jdk.virtualThreadScheduler.parallelism", Runtime.getRuntime().availableProcessors());
        CountDownLatch entered = new CountDownLatch(carriers);
        List<Thread> pins = new ArrayList<>();
        for (int i = 0; i < carriers; i++) {
            pins.add(Thread.ofVirtual().start(() -> {
                entered.countDown();
                try {
                    int unused = (int) sleep.invokeExact(PINNED_SECONDS);
                } catch (Throwable e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();
        return pins;
    }
}
