package dev.autopilot.agent.ha;

/**
 * What one HA cycle decided and did, logged when it changes and asserted in tests (Patroni's "sentence"
 * per cycle, typed).
 */
public sealed interface Outcome {

    /** One line for the operator log. */
    String describe();

    /** This member holds the lock and is the writable primary. */
    record Leading() implements Outcome {
        public String describe() {
            return "leading as primary";
        }
    }

    /** This member took the free lock and opened writes. */
    record PromotedSelf(String previousLeader, String reason) implements Outcome {
        /** Whether a primary handed over to this member (planned switchover, graceful stop), rather than a failover. */
        public boolean planned() {
            return reason.startsWith("planned switchover") && !previousLeader.isEmpty();
        }

        public String describe() {
            return "promoted self to primary (" + reason + ")" + (previousLeader.isEmpty() ? "" : "; previous primary " + previousLeader);
        }
    }

    /** This member replicates from {@code primary}. */
    record Following(String primary) implements Outcome {
        public String describe() {
            return "following primary " + primary;
        }
    }

    /** Replication was pointed at a new primary (no database restart). */
    record Repointed(String primary) implements Outcome {
        public String describe() {
            return "re-pointed replication to new primary " + primary;
        }
    }

    /** The lock is free and a better candidate exists. */
    record Deferring(String candidate, String reason) implements Outcome {
        public String describe() {
            return "not taking the free lock: " + candidate + " is a better candidate (" + reason + ")";
        }
    }

    /** The lock is free but this member may not take it. */
    record NotEligible(String reason) implements Outcome {
        public String describe() {
            return "not eligible for promotion: " + reason;
        }
    }

    /** The lock is free but another member won the race for it. */
    record LostRace(String winner) implements Outcome {
        public String describe() {
            return "lock taken by " + winner + " first; will follow it";
        }
    }

    /** The primary's lease was lost; it turned read-only and dropped client connections. */
    record Fenced(String reason) implements Outcome {
        public String describe() {
            return "fenced: read-only, client connections killed (" + reason + ")";
        }
    }

    /** The primary's database failed; the lock was released so a replica takes over at once. */
    record ReleasedLock(String reason) implements Outcome {
        public String describe() {
            return "released the leader lock: " + reason;
        }
    }

    /** The local database does not answer; the supervisor restarts it. */
    record DatabaseDown(String detail) implements Outcome {
        public String describe() {
            return "database not answering: " + detail;
        }
    }

    /** The data directory is being rebuilt (errant transactions); the cycle only publishes the member's record. */
    record Provisioning() implements Outcome {
        public String describe() {
            return "data directory being rebuilt from a peer; no decisions until the database runs again";
        }
    }

    /** Automatic failover is paused and the lock is free: nothing is promoted. */
    record PausedWithoutLeader() implements Outcome {
        public String describe() {
            return "cluster paused and no primary: waiting for an operator (autopilot resume)";
        }
    }

    /** This member has transactions the primary never had. */
    record Diverged(String primary, long errantTransactions, String action) implements Outcome {
        public String describe() {
            return "diverged from primary " + primary + ": " + errantTransactions + " errant transaction(s); " + action;
        }
    }

    /** The primary purged binlogs this member still needs: it is being provisioned again. */
    record FellBehind(String primary, String error) implements Outcome {
        public String describe() {
            return "fell behind primary " + primary + "'s binlogs (" + error + "); rebuilding";
        }
    }

    /** A planned switchover: this primary stepped down for {@code target}. */
    record SteppedDown(String target) implements Outcome {
        public String describe() {
            return "stepped down for switchover to " + target;
        }
    }

    /** Waiting for members to report after a total outage before electing. */
    record AwaitingMembers(java.util.List<String> missing) implements Outcome {
        public String describe() {
            return "no primary; waiting for members " + missing + " to report before electing";
        }
    }

    /** Fencing did not verifiably make the server read-only (nor stop it); retried every cycle, never reported as done. */
    record FenceFailed(String reason) implements Outcome {
        public String describe() {
            return "FENCING FAILED: " + reason + "; retrying every cycle";
        }
    }

    /** The lock was taken (or held) but writes could not be opened safely: the lock was released and the server fenced. */
    record PromotionAbandoned(String reason) implements Outcome {
        public String describe() {
            return "promotion abandoned, lock released and server fenced: " + reason;
        }
    }

    /** A planned switchover was refused; this member stays primary. */
    record SwitchoverRefused(String reason) implements Outcome {
        public String describe() {
            return "switchover refused, staying primary: " + reason;
        }
    }

    /** The lock is free but no member may safely take it yet (e.g. candidates with diverged histories). */
    record ElectionHeld(String reason) implements Outcome {
        public String describe() {
            return "election held, nobody is promoted: " + reason;
        }
    }

    /**
     * This member keeps writes open without the store on failsafe: every member in {@code confirmedBy} promised not to
     * take the leader lock (failover.failsafe).
     */
    record FailsafeLeading(java.util.List<String> confirmedBy) implements Outcome {
        public String describe() {
            return "leading as primary under failsafe (coordination store unreachable or leader lock not yet taken back): "
                    + (confirmedBy.isEmpty() ? "no other member to ask" : "confirmed by " + String.join(", ", confirmedBy))
                    + "; fences the moment the confirmations run out";
        }
    }

    /** Store unreachable: no decision possible this cycle. */
    record StoreUnreachable(String detail) implements Outcome {
        public String describe() {
            return "coordination store unreachable (" + detail + "); keeping current role, will retry";
        }
    }
}
