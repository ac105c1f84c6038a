package dev.autopilot.agent.cluster;

import java.util.List;
import java.util.Objects;

/**
 * The members a primary asks for failsafe confirmations ({@code failover.failsafe}), published by that primary while it
 * holds the lock. With failsafe on, a member missing from it never takes the lock in an election: it made no promise,
 * so a primary cut from the store may still be writing on the others' word (Patroni's {@code /failsafe} key).
 *
 * @param members   every member the primary asks, itself included, sorted
 * @param publisher the primary that wrote it
 */
public record FailsafeRoster(List<String> members, String publisher) {
    public FailsafeRoster {
        members = List.copyOf(members.stream().sorted().distinct().toList());
        Objects.requireNonNull(publisher, "publisher");
    }

    public boolean includes(String member) {
        return members.contains(member);
    }
}
