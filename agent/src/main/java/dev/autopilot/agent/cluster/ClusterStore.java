package dev.autopilot.agent.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autopilot.coordination.Coordinator;
import dev.autopilot.coordination.Versioned;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 *   history/...       the cluster's history (HistoryLog): up to ~1000 events, never part of {@link #read()}
 * </pre>
 * Store errors propagate as {@link dev.autopilot.coordination.CoordinationException}. A record that cannot be
 * decoded (a value this version does not know — a newer agent's enum constant during a rolling upgrade —, malformed
 * JSON, a missing field) is never fatal for the whole read: {@link #read()} skips it, names it in
 * {@link ClusterView#unreadable()} and logs it once per change.
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
    public static final String FAILSAFE = "failsafe";
    /** The cluster's history ({@link dev.autopilot.agent.history.HistoryLog}), relative to the scope. */
    public static final String HISTORY = "history/";

    private static final Logger LOG = LoggerFactory.getLogger(ClusterStore.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Coordinator store;
    /** Unreadable keys → why, as last logged (so each change is logged once, not every cycle). */
    private final AtomicReference<Map<String, String>> reportedUnreadable = new AtomicReference<>(Map.of());

    public ClusterStore(Coordinator store) {
        this.store = store;
    }

    public Coordinator coordinator() {
        return store;
    }

    /**
     * Reads every key the HA rules look at in one consistent range read of the cluster scope (one round trip,
     * one store revision), so the cycle decides on a single snapshot and a hand-over costs one read, not six. The
     * history is left out of it (on etcd it is not even transferred): a full one is ~200 KB, and reading it with every
     * cycle took the median read from 4 to 16 ms on a loaded machine.
     */
    public ClusterView read() {
        var members = new TreeMap<String, MemberRecord>();
        var unreadable = new TreeMap<String, String>();
        Optional<String> leader = Optional.empty();
        boolean paused = false;
        Optional<SwitchoverRequest> switchover = Optional.empty();
        Optional<Promotion> lastPromotion = Optional.empty();
        Optional<String> initializedBy = Optional.empty();
        Optional<FailsafeRoster> failsafeRoster = Optional.empty();
        var roster = new TreeSet<String>();
        // Without the history (large, read on demand) and the service registrations (not part of the view): they were
        // 6 of the 15 keys of a 3-member cluster's read, twice a second on every member (issue 14 §1).
        for (Versioned v : store.listExcept(HISTORY, Coordinator.REGISTRATIONS)) {
            String key = v.key();
            if (key.startsWith(MEMBERS)) {
                readable(key, v.value(), bytes -> memberRecord(key, bytes), unreadable).ifPresent(r -> members.put(r.name(), r));
            } else if (key.equals(LOCKS + LEADER_LOCK)) {
                leader = Optional.of(v.text());
            } else if (key.equals(PAUSE)) {
                paused = true;
            } else if (key.equals(SWITCHOVER)) {
                switchover = readable(key, v.value(), bytes -> decode(bytes, SwitchoverRequest.class), unreadable);
            } else if (key.equals(LAST_PROMOTION)) {
                lastPromotion = readable(key, v.value(), bytes -> decode(bytes, Promotion.class), unreadable);
            } else if (key.equals(INITIALIZE)) {
                initializedBy = Optional.of(v.text());
            } else if (key.equals(FAILSAFE)) {
                failsafeRoster = readable(key, v.value(), bytes -> decode(bytes, FailsafeRoster.class), unreadable);
            } else if (key.startsWith(ROSTER)) {
                roster.add(key.substring(ROSTER.length()));
            }
        }
        report(unreadable);
        return new ClusterView(members, leader, paused, switchover, lastPromotion, initializedBy, unreadable, failsafeRoster, roster);
    }

    /** The decoded value, or empty with the reason recorded under {@code key}. */
    private static <T> Optional<T> readable(String key, byte[] value, Function<byte[], T> decoder, Map<String, String> unreadable) {
        try {
            return Optional.of(decoder.apply(value));
        } catch (UncheckedIOException e) {
            unreadable.put(key, e.getCause() instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage());
        } catch (IllegalArgumentException e) {
            unreadable.put(key, e.getMessage());
        }
        return Optional.empty();
    }

    /**
     * A member record as stored under {@code key}, checked for what every reader relies on: the name it is stored
     * under, an address, a role and a state.
     *
     * @throws UncheckedIOException not JSON, or a value this version cannot map (e.g. an unknown enum constant)
     * @throws IllegalArgumentException a field is missing or the record names another member
     */
    static MemberRecord memberRecord(String key, byte[] value) {
        MemberRecord r = decode(value, MemberRecord.class);
        String name = key.substring(MEMBERS.length());
        if (r == null) {
            throw new IllegalArgumentException("empty record (JSON null)");
        }
        if (r.name() == null || r.address() == null || r.role() == null || r.state() == null) {
            throw new IllegalArgumentException("missing field: a member record needs name, address, role and state");
        }
        if (!r.name().equals(name)) {
            throw new IllegalArgumentException("record names member '" + r.name() + "' but is stored under " + key);
        }
        return r;
    }

    /** Logs what became unreadable and what is readable again, once per change. */
    private void report(Map<String, String> unreadable) {
        Map<String, String> before = reportedUnreadable.get();
        if (before.equals(unreadable) || !reportedUnreadable.compareAndSet(before, Map.copyOf(unreadable))) {
            return;
        }
        unreadable.forEach((key, why) -> {
            if (!why.equals(before.get(key))) {
                LOG.warn("store record {} is unreadable and skipped ({}); the rest of the cluster view is used as usual. A member "
                        + "record written by a newer agent version (rolling upgrade) becomes readable once this member is "
                        + "upgraded too", key, why);
            }
        });
        before.keySet().stream().filter(key -> !unreadable.containsKey(key))
                .forEach(key -> LOG.info("store record {} is readable again (or gone)", key));
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

    @Override
    public void publishFailsafeRoster(FailsafeRoster roster) {
        store.put(FAILSAFE, encode(roster));
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
