package dev.autopilot.agent.ha;

import dev.autopilot.agent.cluster.ClusterView;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.agent.cluster.MemberState;
import dev.autopilot.agent.cluster.Role;
import dev.autopilot.mysql.gtid.ErrantTransactions;
import dev.autopilot.mysql.gtid.GtidPosition;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Who should take a free leader lock. Pure: decides from one {@link ClusterView}. The rule (design brief,
 * section 3, rules 2 and 9): a candidate takes the lock only if no other healthy, eligible member holds more of
 * the history; ties go to the higher priority, then the lower name. Histories are compared per (domain, server id),
 * never by the highest sequence alone: an old primary's unreplicated tail can carry higher sequence numbers than a
 * newer primary's writes in the same domain. Two candidates of which neither holds all the other has (diverged
 * histories) hold the election: promoting either would discard the other's transactions.
 */
public final class Election {

    /** The verdict for one member. */
    public sealed interface Verdict {
        /** Go for the lock. */
        record Take() implements Verdict {}

        /** Another member should take it. */
        record Defer(String candidate, String reason) implements Verdict {}

        /** This member may not be promoted. */
        record Ineligible(String reason) implements Verdict {}

        /** Nobody should take the lock now: the candidates' histories cannot be ordered. */
        record Hold(String reason) implements Verdict {}
    }

    private final Duration maximumLag;
    private final Duration promotionWindow;
    private final boolean zeroLoss;

    public Election(Duration maximumLag, Duration promotionWindow) {
        this(maximumLag, promotionWindow, false);
    }

    /**
     * @param zeroLoss hold the election while a member that cannot be promoted holds transactions no candidate has: in
     *                 zero-loss mode those may be acknowledged writes (it may have acknowledged them while still eligible)
     */
    public Election(Duration maximumLag, Duration promotionWindow, boolean zeroLoss) {
        this.maximumLag = maximumLag;
        this.promotionWindow = promotionWindow;
        this.zeroLoss = zeroLoss;
    }

    /** The verdict for {@code self} (whose record must be fresh: published this cycle). */
    public Verdict decide(MemberRecord self, ClusterView view, long nowMillis) {
        Optional<String> why = ineligibility(self, view, nowMillis);
        if (why.isPresent()) {
            return new Verdict.Ineligible(why.get());
        }
        List<MemberRecord> rivals = view.members().values().stream()
                .filter(m -> !m.name().equals(self.name()))
                .filter(m -> ineligibility(m, view, nowMillis).isEmpty())
                .toList();
        GtidPosition mine = history(self);
        for (MemberRecord rival : rivals) {
            GtidPosition theirs = history(rival);
            if (!holdsAll(mine, theirs) && !holdsAll(theirs, mine)) {
                return new Verdict.Hold("diverged histories: " + self.name() + " has " + ErrantTransactions.find(mine, theirs)
                        + " that " + rival.name() + " lacks, and " + rival.name() + " has " + ErrantTransactions.find(theirs, mine)
                        + " that " + self.name() + " lacks; an operator must decide which to keep (autopilot failover --to)");
            }
        }
        for (MemberRecord rival : rivals) {
            if (better(rival, self)) {
                return new Verdict.Defer(rival.name(), reason(rival, self));
            }
        }
        if (zeroLoss) {
            // Members that never acknowledge (nofailover) or are the old primary cannot hold an acknowledged write alone.
            for (MemberRecord other : view.members().values()) {
                if (other.name().equals(self.name()) || other.role() == Role.PRIMARY || other.noFailover()) {
                    continue;
                }
                Optional<String> notEligible = ineligibility(other, view, nowMillis);
                GtidPosition theirs = history(other);
                if (notEligible.isPresent() && !holdsAll(mine, theirs)) {
                    return new Verdict.Hold("zero-loss: " + other.name() + " holds " + ErrantTransactions.find(theirs, mine)
                            + " that " + self.name() + " lacks and cannot be promoted (" + notEligible.get() + "); promoting "
                            + self.name() + " could lose acknowledged writes; waiting for it to recover, or an operator"
                            + " (autopilot failover --to)");
                }
            }
        }
        return new Verdict.Take();
    }

    /** The best eligible member of the view, if any (used by switchover to pick a target). */
    public Optional<MemberRecord> best(ClusterView view, long nowMillis, String excluding) {
        return view.members().values().stream()
                .filter(m -> !m.name().equals(excluding))
                .filter(m -> ineligibility(m, view, nowMillis).isEmpty())
                .min(Comparator.comparing((MemberRecord m) -> m, (a, b) -> better(a, b) ? -1 : better(b, a) ? 1 : 0));
    }

    private Optional<String> ineligibility(MemberRecord m, ClusterView view, long nowMillis) {
        if (m.role() == Role.PRIMARY) {
            // Decided only while the lock is free: a record still saying PRIMARY belongs to the primary that just
            // died (its record outlives its lease by up to one TTL) or is stepping down. Never wait for it.
            return Optional.of("was the primary");
        }
        if (m.noFailover()) {
            return Optional.of("tagged nofailover");
        }
        if (!m.promotable() || m.state() == MemberState.PROVISIONING || m.state() == MemberState.DIVERGED) {
            return Optional.of("state " + m.state() + (m.promotable() ? "" : ", database down or applier failed"));
        }
        if (m.role() == Role.NONE && m.state() != MemberState.RUNNING) {
            return Optional.of("no role yet");
        }
        if (m.lagMillis() > maximumLag.toMillis()) {
            return Optional.of("lag " + m.lagMillis() + " ms exceeds failover.maximumLag " + maximumLag.toMillis() + " ms");
        }
        if (view.lastPromotion().isPresent()) {
            var p = view.lastPromotion().get();
            if (p.member().equals(m.name()) && nowMillis - p.atMillis() < promotionWindow.toMillis()) {
                return Optional.of("promoted " + (nowMillis - p.atMillis()) / 1000 + " s ago, within failover.promotionWindow "
                        + promotionWindow.toSeconds() + " s (anti-flapping; an operator can switch over)");
            }
        }
        return Optional.empty();
    }

    /** Whether {@code a} beats {@code b}: holds strictly more history, or the same and higher priority, then lower name. */
    static boolean better(MemberRecord a, MemberRecord b) {
        GtidPosition pa = history(a);
        GtidPosition pb = history(b);
        boolean aHoldsB = holdsAll(pa, pb);
        boolean bHoldsA = holdsAll(pb, pa);
        if (aHoldsB && !bHoldsA) {
            return true;
        }
        if (bHoldsA && !aHoldsB) {
            return false;
        }
        // Equal (incomparable ones hold the election before this is asked): priority, then name.
        if (a.priority() != b.priority()) {
            return a.priority() > b.priority();
        }
        return a.name().compareTo(b.name()) < 0;
    }

    /**
     * What a member will hold once its relay log is applied, per (domain, server id): its known history (binlog state
     * and slave position) plus the position it will have reached (which carries the origin of each domain's last GTID).
     */
    static GtidPosition history(MemberRecord m) {
        return GtidPosition.parse(m.knownGtids()).merge(GtidPosition.parse(m.gtidPosition()));
    }

    /** Whether {@code a} holds every transaction of {@code b}, per (domain, server id). */
    private static boolean holdsAll(GtidPosition a, GtidPosition b) {
        return ErrantTransactions.find(b, a).isEmpty();
    }

    private static String reason(MemberRecord rival, MemberRecord self) {
        GtidPosition pr = history(rival);
        GtidPosition ps = history(self);
        if (holdsAll(pr, ps) && !holdsAll(ps, pr)) {
            return "more advanced: " + GtidPosition.parse(rival.gtidPosition()) + " vs " + GtidPosition.parse(self.gtidPosition());
        }
        return rival.priority() != self.priority() ? "same position, priority " + rival.priority() + " > " + self.priority()
                : "same position and priority, name sorts first";
    }
}
