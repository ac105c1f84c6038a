package dev.autopilot.agent.ha;

import dev.autopilot.coordination.LeaseLoss;
import dev.autopilot.coordination.LeaseLostListener;
import java.util.function.Consumer;

/**
 * Starts the fence of a member whose leader lease is lost on a platform thread of its own, at once.
 *
 * <p>Not a virtual thread: virtual threads share one carrier per core, and a JDBC call over the unix socket (JNA,
 * native) pins its carrier for as long as a stalled server keeps it waiting. In the seed-501 fault campaign (the
 * primary's disk full) every carrier was pinned that way, and a fence started on a virtual thread ran 12 s after the
 * lease was lost, while the next primary already accepted writes.
 */
public final class LeaseLossFence implements LeaseLostListener {
    private final String member;
    private final Consumer<String> fence;

    /**
     * @param member for the thread's name
     * @param fence  what to do, given why the lease was lost in words
     */
    public LeaseLossFence(String member, Consumer<String> fence) {
        this.member = member;
        this.fence = fence;
    }

    @Override
    public void onLeaseLost(LeaseLoss loss) {
        Thread.ofPlatform().daemon().name("fence-" + member).start(() -> fence.accept(loss.describe()));
    }
}
