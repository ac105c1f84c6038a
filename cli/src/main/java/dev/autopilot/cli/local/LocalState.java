package dev.autopilot.cli.local;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a local cluster runs, kept in {@code state.json}: enough for {@code local down/kill/start} in another
 * process, and for {@code status} to find the store.
 *
 * @param cluster       cluster name
 * @param addressBase   first three octets of the loopback addresses, e.g. {@code 127.0.0}
 * @param members       number of members
 * @param zeroLoss      semi-synchronous replication on
 * @param etcdEndpoint  the store's client URL
 * @param proxyAddress  HAProxy's {@code host:port} for the primary
 * @param processes     what was started, by name
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record LocalState(String cluster, String addressBase, int members, boolean zeroLoss, String etcdEndpoint,
                         String proxyAddress, List<LocalProcess> processes) {

    public LocalState {
        processes = List.copyOf(processes == null ? List.of() : processes);
    }

    /**
     * One process started by the CLI. {@code startedAtMillis} tells it apart from a later process that reuses
     * the pid, so {@code local down} never signals a stranger.
     */
    public record LocalProcess(String name, long pid, long startedAtMillis) {
        /** The live process this entry names, if it still runs. */
        public Optional<ProcessHandle> handle() {
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                    .filter(h -> h.info().startInstant().map(i -> Math.abs(i.toEpochMilli() - startedAtMillis) < 2000).orElse(true));
        }
    }

    public LocalState with(LocalProcess p) {
        List<LocalProcess> next = new ArrayList<>(processes.stream().filter(q -> !q.name().equals(p.name())).toList());
        next.add(p);
        return new LocalState(cluster, addressBase, members, zeroLoss, etcdEndpoint, proxyAddress, next);
    }

    public Optional<LocalProcess> process(String name) {
        return processes.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    public static String memberName(int n) {
        return "db" + n;
    }

    public String memberAddress(int n) {
        return addressBase + "." + (10 + n);
    }

    public String serviceAddress() {
        return addressBase + ".1";
    }

    public List<String> memberNames() {
        List<String> names = new ArrayList<>();
        for (int n = 1; n <= members; n++) {
            names.add(memberName(n));
        }
        return names;
    }
}
