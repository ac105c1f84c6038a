package dev.autopilot.agent.ha;

import dev.autopilot.agent.cluster.MemberRecord;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;

/**
 * The bookkeeping of failsafe mode (Patroni's {@code failsafe_mode}), both sides, on this host's monotonic clock.
 *
 * <p>As a primary: the members to ask (every member of the last view read from the store, never fewer during one
 * outage), and for each the send time of the newest request it confirmed. Writes may stay open until the send time of
 * the oldest of those confirmations, or of the newest round when there are no members, plus the window W minus the
 * lock's safety margin: each member promised not to take the lock for W from when it <em>received</em> the request,
 * which is after it was sent, and the margin covers clock-rate drift, as it does for the lease.
 *
 * <p>As a member: the promise it gave, until W after it received the newest request. Thread-safe: rounds, the lease
 * watchdog, the deadline alarm, the REST API and the HA loop all reach it.
 */
final class Failsafe {
    private final Duration window;
    private final Duration margin;
    private final Map<String, MemberRecord> roster = new TreeMap<>();
    private final Map<String, Long> confirmedSentAt = new HashMap<>();
    private long lastRoundSentAt;
    private boolean anyRound;
    private String promisedTo = "";
    private long promisedUntil;

    Failsafe(Duration window, Duration margin) {
        this.window = window;
        this.margin = margin;
    }

    /** W: how long a member that confirmed refrains from taking the lock. */
    Duration window() {
        return window;
    }

    /** Replaces the members to ask by those of a fresh view (outside an outage). */
    synchronized void roster(Collection<MemberRecord> members) {
        roster.clear();
        members.forEach(m -> roster.put(m.name(), m));
    }

    /** Adds the members of a fresh view to those to ask (during an outage the roster only grows). */
    synchronized void widenRoster(Collection<MemberRecord> members) {
        members.forEach(m -> roster.put(m.name(), m));
    }

    /** The members to ask now. */
    synchronized List<MemberRecord> members() {
        return List.copyOf(roster.values());
    }

    /** One round, sent at {@code sentAt}, was confirmed by {@code confirmed}. */
    synchronized void confirmed(long sentAt, Set<String> confirmed) {
        confirmed.forEach(name -> confirmedSentAt.merge(name, sentAt, Math::max));
        lastRoundSentAt = anyRound ? Math.max(lastRoundSentAt, sentAt) : sentAt;
        anyRound = true;
    }

    /** The members of the roster without a confirmation yet. */
    synchronized List<String> unconfirmed() {
        return roster.keySet().stream().filter(name -> !confirmedSentAt.containsKey(name)).toList();
    }

    /** Until when (nanoTime) writes may stay open on the confirmations so far; empty when some member never confirmed. */
    synchronized OptionalLong deadline() {
        if (!anyRound) {
            return OptionalLong.empty();
        }
        long oldest = lastRoundSentAt;
        for (String name : roster.keySet()) {
            Long sent = confirmedSentAt.get(name);
            if (sent == null) {
                return OptionalLong.empty();
            }
            oldest = Math.min(oldest, sent);
        }
        return OptionalLong.of(oldest + window.minus(margin).toNanos());
    }

    /** Whether the confirmations cover {@code nowNanos}. */
    synchronized boolean covers(long nowNanos) {
        OptionalLong d = deadline();
        return d.isPresent() && d.getAsLong() - nowNanos > 0;
    }

    /** Forgets every confirmation (an outage ended, or the primary fenced): the next outage starts from none. */
    synchronized void reset() {
        confirmedSentAt.clear();
        anyRound = false;
    }

    /** As a member: promises {@code primary} not to take the lock for {@code window} from {@code nowNanos}. */
    synchronized void promise(String primary, Duration promised, long nowNanos) {
        long until = nowNanos + promised.toNanos();
        if (promisedTo.isEmpty() || until - promisedUntil > 0) {
            promisedUntil = until;
        }
        promisedTo = primary;
    }

    /** The primary this member promised not to take the lock from, while that promise lasts. */
    synchronized Optional<String> promised(long nowNanos) {
        return !promisedTo.isEmpty() && promisedUntil - nowNanos > 0 ? Optional.of(promisedTo) : Optional.empty();
    }
}
