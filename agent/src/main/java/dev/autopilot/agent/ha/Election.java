package dev.autopilot.agent.ha;

import dev.autopilot.agent.cluster.ClusterView;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.agent.cluster.MemberState;
import dev.autopilot.agent.cluster.Role;
import dev.autopilot.mysql.gtid.GtidPosition;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Who should take a free leader lock. Pure: decides from one {@link ClusterView}. The rule (design brief,
 * section 3, rule 2): a candidate takes the lock only if no other healthy, eligible member has a more
 * advanced GTID position; ties go to the higher priority, then the lower name.
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
    }

    private final Duration maximumLag;
    private final Duration promotionWindow;

    public Election(Duration maximumLag, Duration promotionWindow) {
        this.maximumLag = maximumLag;
        this.promotionWindow = promotionWindow;
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
        for (MemberRecord rival : rivals) {
            if (better(rival, self)) {
                return new Verdict.Defer(rival.name(), reason(rival, self));
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

    /** Whether {@code a} beats {@code b}: strictly more advanced, or equal position and higher priority, then lower name. */
    static boolean better(MemberRecord a, MemberRecord b) {
        GtidPosition pa = GtidPosition.parse(a.gtidPosition());
        GtidPosition pb = GtidPosition.parse(b.gtidPosition());
        boolean aIncludesB = pa.includes(pb);
        boolean bIncludesA = pb.includes(pa);
        if (aIncludesB && !bIncludesA) {
            return true;
        }
        if (bIncludesA && !aIncludesB) {
            return false;
        }
        // Equal (or incomparable across domains): fall back to priority, then name.
        if (a.priority() != b.priority()) {
            return a.priority() > b.priority();
        }
        return a.name().compareTo(b.name()) < 0;
    }

    private static String reason(MemberRecord rival, MemberRecord self) {
        GtidPosition pr = GtidPosition.parse(rival.gtidPosition());
        GtidPosition ps = GtidPosition.parse(self.gtidPosition());
        if (pr.includes(ps) && !ps.includes(pr)) {
            return "more advanced: " + pr + " vs " + ps;
        }
        return rival.priority() != self.priority() ? "same position, priority " + rival.priority() + " > " + self.priority()
                : "same position and priority, name sorts first";
    }
}
