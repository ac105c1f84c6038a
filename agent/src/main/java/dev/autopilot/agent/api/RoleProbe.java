package dev.autopilot.agent.api;

import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.agent.cluster.MemberState;
import dev.autopilot.agent.cluster.Role;
import dev.autopilot.agent.ha.Outcome;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The answers of {@code /health}, {@code /primary} and {@code /replica}: what load balancers route on. Each
 * is 200 or 503 with a small JSON body whose {@code reason} says why, so an operator can read a failing check.
 */
final class RoleProbe {
    private final AgentControl agent;

    RoleProbe(AgentControl agent) {
        this.agent = agent;
    }

    /** The database answers and the agent runs its HA loop. */
    Reply health(boolean head) {
        Optional<MemberRecord> self = agent.self();
        if (self.isEmpty()) {
            return body(head, 503, "agent starting: no HA cycle has run yet");
        }
        MemberRecord r = self.get();
        return r.healthy() ? body(head, 200, "healthy " + role(r)) : body(head, 503, "unhealthy: " + describe(r));
    }

    /**
     * 200 only on the writable primary: it holds the leader lock right now (by its own lease clock), its write gate is
     * open (writes opened under the lock, no fence started since) and its last published record says healthy and RUNNING.
     * Read from the gate, not from the last cycle's outcome: 200 from the instant writes open (HAProxy is told then too),
     * 503 from the instant a step-down's fence starts, never in between its fence and its lock release.
     */
    Reply primary(boolean head) {
        Optional<MemberRecord> self = agent.self();
        if (!agent.holdsLock()) {
            return body(head, 503, "not the primary: does not hold the leader lock");
        }
        if (!agent.writesOpen()) {
            return body(head, 503, "holds the lock but its writes are not open (promoting, stepping down or fenced): "
                    + agent.lastOutcome().map(Outcome::describe).orElse("no cycle yet"));
        }
        if (self.isEmpty()) {
            return body(head, 503, "agent starting: no HA cycle has run yet");
        }
        MemberRecord r = self.get();
        // A record published before this member's promotion is a replica's: its database answered, and its health as a
        // replica says nothing about it as a primary. The next cycle publishes it as primary.
        if (r.state() != MemberState.RUNNING || (r.role() == Role.PRIMARY && !r.healthy())) {
            return body(head, 503, "primary not healthy: " + describe(r));
        }
        return body(head, 200, "writable primary");
    }

    /** 200 on a healthy, replicating replica; with {@code maxLag}, only when its lag is known and within it. */
    Reply replica(Optional<Duration> maxLag, boolean head) {
        Optional<MemberRecord> self = agent.self();
        if (self.isEmpty() || self.get().role() != Role.REPLICA) {
            return body(head, 503, "not a replica (role " + self.map(r -> r.role().name()).orElse("unknown") + ")");
        }
        MemberRecord r = self.get();
        if (!r.healthy() || r.state() != MemberState.RUNNING) {
            return body(head, 503, "replica not healthy: " + describe(r));
        }
        if (maxLag.isPresent()) {
            if (r.lagMillis() < 0) {
                return body(head, 503, "replica lag unknown");
            }
            if (r.lagMillis() > maxLag.get().toMillis()) {
                return body(head, 503, "replica lag " + r.lagMillis() + " ms exceeds " + maxLag.get().toMillis() + " ms");
            }
        }
        return body(head, 200, "healthy replica" + (r.lagMillis() >= 0 ? ", lag " + r.lagMillis() + " ms" : ""));
    }

    /** The answer; a HEAD request (HAProxy's checks, several a second) gets the status alone, no body built. */
    private Reply body(boolean head, int status, String reason) {
        if (head) {
            return new Reply(status, "application/json", new byte[0]);
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("member", agent.memberName());
        agent.self().ifPresent(r -> {
            json.put("role", r.role().name().toLowerCase());
            json.put("state", r.state().name().toLowerCase());
            json.put("healthy", r.healthy());
            json.put("lagMillis", r.lagMillis());
            json.put("gtidPosition", r.gtidPosition());
        });
        json.put("holdsLock", agent.holdsLock());
        agent.lastOutcome().ifPresent(o -> json.put("lastOutcome", o.describe()));
        json.put("reason", reason);
        return Reply.json(status, json);
    }

    private static String role(MemberRecord r) {
        return r.role().name().toLowerCase();
    }

    private static String describe(MemberRecord r) {
        return "state " + r.state().name().toLowerCase() + (r.lastError().isEmpty() ? "" : ", " + PublicText.of(r.lastError()));
    }
}
