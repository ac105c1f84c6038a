package dev.autopilot.agent.lifecycle;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives the heap's transient peak back to the OS after the rare jobs that make one (a snapshot, provisioning a copy).
 * With SerialGC the old generation grows to hold what such a job promoted and shrinks only at a full collection,
 * which an idle agent may not see for hours; the launcher's {@code -XX:-ShrinkHeapInSteps} and
 * {@code MaxHeapFreeRatio=30} make that one collection return everything above the live set (~10 MB). The pause is
 * that of a full collection of the live set: tens of milliseconds, at most a few hundred on a loaded host, taken
 * only after a job that ran for seconds or minutes (see docs/why.md, the footprint section).
 */
public final class HeapTrim {
    private static final Logger LOG = LoggerFactory.getLogger(HeapTrim.class);

    private HeapTrim() {
    }

    /** A full collection now, after {@code what} (for the debug log). */
    public static void afterPeak(String what) {
        long before = Runtime.getRuntime().totalMemory();
        long start = System.nanoTime();
        System.gc();
        LOG.debug("heap after {}: {} -> {} MB committed, full collection took {} ms", what, before >> 20,
                Runtime.getRuntime().totalMemory() >> 20, (System.nanoTime() - start) / 1_000_000);
    }
}
