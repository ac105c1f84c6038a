package dev.autopilot.cli.cluster;

import dev.autopilot.agent.cluster.ClusterStore;
import dev.autopilot.cli.CommandFailure;
import dev.autopilot.coordination.CoordinationException;
import dev.autopilot.coordination.Coordinator;
import java.util.TreeSet;

/** An open, read-only view of one cluster's keys in the store. */
public final class ClusterConnection implements AutoCloseable {
    private final ClusterTarget target;
    private final Coordinator store;
    private final ClusterStore cluster;

    ClusterConnection(ClusterTarget target, Coordinator store) {
        this.target = target;
        this.store = store;
        this.cluster = new ClusterStore(store);
    }

    public ClusterTarget target() {
        return target;
    }

    /** One consistent-enough reading of members, roster, lock holder and flags. */
    public ClusterReading read() {
        try {
            var view = cluster.read();
            var roster = new TreeSet<>(cluster.roster());
            return new ClusterReading(store.settings().cluster(), view, roster);
        } catch (CoordinationException e) {
            throw CommandFailure.unreachable("coordination store " + target.endpoints() + " unreachable while reading cluster '"
                    + store.settings().cluster() + "' (" + e.getMessage() + ")");
        }
    }

    @Override
    public void close() {
        store.close();
    }
}
