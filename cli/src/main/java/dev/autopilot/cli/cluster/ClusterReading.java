package dev.autopilot.cli.cluster;

import dev.autopilot.agent.cluster.ClusterView;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.agent.cluster.Role;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The cluster as the CLI read it: live member records, every member that ever joined (a member in the roster
 * without a record has no running agent), the lock holder and the cluster flags.
 */
public record ClusterReading(String cluster, ClusterView view, SortedSet<String> roster) {

    public ClusterReading {
        roster = new TreeSet<>(roster);
    }

    /** Every member name: the roster plus any live member not (yet) in it. */
    public SortedSet<String> names() {
        SortedSet<String> all = new TreeSet<>(roster);
        all.addAll(view.members().keySet());
        return all;
    }

    public Optional<MemberRecord> member(String name) {
        return view.member(name);
    }

    /** The lock holder's record, when it is the writable primary. */
    public Optional<MemberRecord> primary() {
        return view.leaderRecord().filter(r -> r.role() == Role.PRIMARY);
    }

    /** What is wrong, one sentence each; empty when a primary leads and every member is healthy. */
    public List<String> problems() {
        List<String> out = new ArrayList<>();
        if (primary().isEmpty()) {
            out.add(view.leader().map(l -> "lock holder " + l + " is not (yet) a primary").orElse("no primary"));
        }
        primary().filter(MemberRecord::asyncFallback).ifPresent(p -> out.add(p.name() + " fell back to asynchronous"
                + " replication: no eligible replica acknowledged in time, so writes acknowledged now exist on the primary only"));
        for (String name : names()) {
            Optional<MemberRecord> r = member(name);
            if (r.isEmpty()) {
                out.add(name + " has no running agent");
            } else if (!r.get().healthy()) {
                out.add(name + " is unhealthy (" + r.get().state().name().toLowerCase()
                        + (r.get().lastError().isEmpty() ? "" : ": " + r.get().lastError()) + ")");
            }
        }
        return out;
    }

    /** Members with a healthy primary or replica record. */
    public long healthyMembers() {
        return view.members().values().stream().filter(r -> r.healthy() && r.role() != Role.NONE).count();
    }

    /** Reachable agents to send a request to, the primary first. */
    public List<MemberRecord> agents() {
        List<MemberRecord> out = new ArrayList<>();
        primary().ifPresent(out::add);
        view.members().values().stream().filter(r -> !out.contains(r)).forEach(out::add);
        return out;
    }
}
