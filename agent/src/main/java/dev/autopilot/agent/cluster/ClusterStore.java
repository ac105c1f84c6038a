package dev.autopilot.agent.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autopilot.coordination.Coordinator;
import dev.autopilot.coordination.Versioned;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The cluster's keys in the coordination store and their JSON form. Layout, relative to the cluster scope
 * ({@code /autopilot/<cluster>/}):
 * <pre>
 *   members/&lt;name&gt;   MemberRecord, bound to the member's registration (vanishes with its agent)
 *   roster/&lt;name&gt;    every member that ever joined (total-outage elections wait for them)
 *   locks/leader      the leader lock; value = holder name
 *   initialize        name of the member that bootstrapped the cluster (created once, by compare-and-set)
 *   pause             present while automatic failover is paused
 *   switchover        SwitchoverRequest while a planned switchover runs
 *   last-promotion    Promotion
 * </pre>
 * Store errors propagate as {@link dev.autopilot.coordination.CoordinationException}.
 */
public final class ClusterStore implements ClusterWrites {
    public static final String MEMBERS = "members/";
    public static final String ROSTER = "roster/";
    public static final String LEADER_LOCK = "leader";
    /** Where the coordination backends keep locks, relative to the scope. */
    public static final String LOCKS = "locks/";
    public static final String INITIALIZE = "initialize";
    public static final String PAUSE = "pause";
    public static final String SWITCHOVER = "switchover";
    public static final String LAST_PROMOTION = "last-promotion";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Coordinator store;

    public ClusterStore(Coordinator store) {
        this.store = store;
    }

    public Coordinator coordinator() {
        return store;
    }

    /**
     * Reads every key the HA rules look at in one consistent range read of the cluster scope (one round trip,
     * one store revision), so the cycle decides on a single snapshot and a hand-over costs one read, not six.
     */
    public ClusterView read() {
        var members = new TreeMap<String, MemberRecord>();
        Optional<String> leader = Optional.empty();
        boolean paused = false;
        Optional<SwitchoverRequest> switchover = Optional.empty();
        Optional<Promotion> lastPromotion = Optional.empty();
        Optional<String> initializedBy = Optional.empty();
        for (Versioned v : store.list("")) {
            String key = v.key();
            if (key.startsWith(MEMBERS)) {
                MemberRecord r = decode(v.value(), MemberRecord.class);
                members.put(r.name(), r);
            } else if (key.equals(LOCKS + LEADER_LOCK)) {
                leader = Optional.of(v.text());
            } else if (key.equals(PAUSE)) {
                paused = true;
            } else if (key.equals(SWITCHOVER)) {
                switchover = Optional.of(decode(v.value(), SwitchoverRequest.class));
            } else if (key.equals(LAST_PROMOTION)) {
                lastPromotion = Optional.of(decode(v.value(), Promotion.class));
            } else if (key.equals(INITIALIZE)) {
                initializedBy = Optional.of(v.text());
            }
        }
        return new ClusterView(members, leader, paused, switchover, lastPromotion, initializedBy);
    }

    /** Names of every member that ever joined. */
    @Override
    public java.util.List<String> roster() {
        return store.list(ROSTER).stream().map(v -> v.key().substring(v.key().lastIndexOf('/') + 1)).toList();
    }

    public void joinRoster(String member) {
        store.put(ROSTER + member, new byte[0]);
    }

    /** Claims the bootstrap of a new cluster; true for exactly one member, ever. */
    public boolean claimInitialize(String member) {
        return store.compareAndSet(INITIALIZE, 0, member.getBytes(StandardCharsets.UTF_8));
    }

    public Optional<String> initializedBy() {
        return store.get(INITIALIZE).map(v -> new String(v.value(), StandardCharsets.UTF_8));
    }

    @Override
    public void recordPromotion(Promotion p) {
        store.put(LAST_PROMOTION, encode(p));
    }

    public void setPaused(boolean paused) {
        if (paused) {
            store.put(PAUSE, "paused".getBytes(StandardCharsets.UTF_8));
        } else {
            store.delete(PAUSE);
        }
    }

    @Override
    public void requestSwitchover(SwitchoverRequest request) {
        store.put(SWITCHOVER, encode(request));
    }

    @Override
    public void clearSwitchover() {
        store.delete(SWITCHOVER);
    }

    public static byte[] encode(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static <T> T decode(byte[] bytes, Class<T> type) {
        try {
            return JSON.readValue(bytes, type);
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable " + type.getSimpleName() + " in the store", e);
        }
    }
}
