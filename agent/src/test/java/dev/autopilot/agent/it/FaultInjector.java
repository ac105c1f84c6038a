package dev.autopilot.agent.it;

import dev.autopilot.agent.it.Fault.Kind;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Injects one {@link Fault} into a {@link FaultCluster} and heals it: returns once everything it broke is repaired
 * (killed processes started again, paused ones resumed, partitions healed, the store back); what the cluster does
 * about it is the checker's business. Every step goes to the {@link FaultHistory}.
 */
final class FaultInjector {
    private final FaultCluster cluster;
    private final FaultHistory history;
    private final RestartPolicy restarts;

    FaultInjector(FaultCluster cluster, FaultHistory history, RestartPolicy restarts) {
        this.cluster = cluster;
        this.history = history;
        this.restarts = restarts;
    }

    /** Injects and heals {@code fault}; false when it could not be injected (no primary, no such process). */
    boolean inject(Fault fault) throws IOException {
        Optional<AgentNode> primary = cluster.primary();
        if (primary.isEmpty()) {
            history.event("skipped %s: no primary to aim at", fault.label());
            return false;
        }
        AgentNode p = primary.get();
        List<AgentNode> replicas = cluster.nodes().stream().filter(n -> n != p).toList();
        AgentNode target = fault.onPrimary() ? p : replicas.get(fault.pick() % replicas.size());
        String victim = switch (fault.kind()) {
            case ISOLATE_ETCD_MEMBER -> "etcd " + cluster.etcd.member(fault.pick() % 3).name();
            case ETCD_QUORUM_LOSS -> "etcd " + cluster.etcd.member(fault.pick() % 3).name() + " and " + cluster.etcd.member((fault.pick() + 1) % 3).name();
            case OBJECT_STORE_OUTAGE -> "the object store";
            case CUT_PRIMARY_FROM_STORE, CUT_PRIMARY_FROM_REPLICAS, CUT_PRIMARY_FROM_BOTH, FAULT_DURING_FAILOVER -> p.name;
            case FAULT_DURING_SWITCHOVER -> p.name + " -> " + replicas.get(fault.pick() % replicas.size()).name;
            default -> target.name;
        };
        history.event("FAULT %s on %s (%s)", fault.label(), victim, fault);
        switch (fault.kind()) {
            case KILL_AGENT, KILL_DATABASE, KILL_NODE, PAUSE_AGENT, PAUSE_DATABASE -> {
                List<Runnable> heals = new ArrayList<>();
                if (!strike(fault.kind(), target, fault.millis(), heals)) {
                    return false;
                }
                sleep(fault.millis());
                heals.forEach(Runnable::run);
            }
            case CUT_PRIMARY_FROM_STORE, CUT_PRIMARY_FROM_REPLICAS, CUT_PRIMARY_FROM_BOTH -> {
                boolean store = fault.kind() != Kind.CUT_PRIMARY_FROM_REPLICAS;
                boolean peers = fault.kind() != Kind.CUT_PRIMARY_FROM_STORE;
                if (store) {
                    cluster.cutFromStore(p);
                }
                if (peers) {
                    cluster.cutFromPeers(p);
                }
                sleep(fault.millis());
                if (store) {
                    cluster.healFromStore(p);
                }
                if (peers) {
                    cluster.healFromPeers(p);
                }
                history.event("HEAL %s: partition of %s removed", fault.label(), p.name);
            }
            case ISOLATE_ETCD_MEMBER -> {
                int m = fault.pick() % 3;
                cluster.isolateEtcd(m);
                sleep(fault.millis());
                cluster.rejoinEtcd(m);
                history.event("HEAL %s: etcd member %s rejoined", fault.label(), cluster.etcd.member(m).name());
            }
            case ETCD_QUORUM_LOSS -> {
                int a = fault.pick() % 3;
                int b = (a + 1) % 3;
                cluster.etcd.kill(a, b);
                history.event("etcd members %s and %s killed", cluster.etcd.member(a).name(), cluster.etcd.member(b).name());
                sleep(fault.millis());
                cluster.etcd.restart(a, b);
                history.event("HEAL %s: etcd members restarted and healthy", fault.label());
            }
            case OBJECT_STORE_OUTAGE -> {
                cluster.breakObjectStore();
                sleep(fault.millis());
                cluster.repairObjectStore();
                history.event("HEAL %s: object store back", fault.label());
            }
            case DISK_FULL -> {
                if (!cluster.ownDisks()) {
                    history.event("skipped %s on %s: the members' data is not on file systems of their own (run under unshare -m)",
                            fault.label(), target.name);
                    return false;
                }
                long left = cluster.fillDisk(target);
                history.event("file system of %s filled: %d bytes left", target.name, left);
                sleep(fault.millis());
                cluster.drainDisk(target);
                history.event("HEAL %s: ballast on %s deleted", fault.label(), target.name);
            }
            case FAULT_DURING_FAILOVER -> duringFailover(fault, p);
            case FAULT_DURING_SWITCHOVER -> duringSwitchover(fault, p, replicas.get(fault.pick() % replicas.size()));
        }
        return true;
    }

    private void duringFailover(Fault fault, AgentNode old) {
        List<Runnable> heals = new ArrayList<>();
        strike(Kind.KILL_NODE, old, 0, heals);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Optional<String> next = Optional.empty();
        while (next.isEmpty() && System.nanoTime() < deadline) {
            next = cluster.leader().filter(l -> !l.equals(old.name));
            sleep(10); // polling the lock key for the hand-over
        }
        if (next.isEmpty()) {
            history.event("no member took the lock within 30 s of %s's crash; second fault not injected", old.name);
        } else {
            history.event("%s took the lock; second fault in %d ms", next.get(), fault.delayMillis());
            sleep(fault.delayMillis());
            strike(fault.second(), cluster.node(next.get()), fault.millis(), heals);
        }
        sleep(fault.millis());
        heals.forEach(Runnable::run);
    }

    private void duringSwitchover(Fault fault, AgentNode old, AgentNode to) {
        List<Runnable> heals = new ArrayList<>();
        Thread request = Thread.ofVirtual().start(() -> history.event("switchover %s -> %s answered: %s", old.name, to.name,
                cluster.requestSwitchover(old, to)));
        sleep(fault.delayMillis());
        strike(fault.second(), fault.onPrimary() ? old : to, fault.millis(), heals);
        sleep(fault.millis());
        heals.forEach(Runnable::run);
        try {
            request.join(15_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Breaks one member's process(es); adds what undoes it to {@code heals}. False when there was nothing to break. */
    private boolean strike(Kind kind, AgentNode node, long millis, List<Runnable> heals) {
        switch (kind) {
            case KILL_AGENT -> {
                if (!node.isRunning()) {
                    return noProcess(kind, node, "agent");
                }
                restarts.holdDown(node);
                ProcessHandle agent = ProcessHandle.of(node.pid()).orElseThrow();
                history.event("kill -9 agent of %s (its mariadbd left running)", node.name);
                agent.destroyForcibly();
                agent.onExit().orTimeout(10, TimeUnit.SECONDS).join();
                heals.add(() -> restart(node));
            }
            case KILL_DATABASE -> {
                Optional<ProcessHandle> db = node.mariadbd();
                if (db.isEmpty()) {
                    return noProcess(kind, node, "mariadbd");
                }
                history.event("kill -9 mariadbd of %s", node.name);
                db.get().destroyForcibly();
            }
            case KILL_NODE -> {
                restarts.holdDown(node);
                history.event("kill -9 agent and mariadbd of %s", node.name);
                cluster.killAll(node);
                heals.add(() -> restart(node));
            }
            case PAUSE_AGENT, PAUSE_DATABASE -> {
                Optional<ProcessHandle> process = kind == Kind.PAUSE_AGENT
                        ? Optional.of(node).filter(AgentNode::isRunning).flatMap(n -> ProcessHandle.of(n.pid())) : node.mariadbd();
                if (process.isEmpty()) {
                    return noProcess(kind, node, kind == Kind.PAUSE_AGENT ? "agent" : "mariadbd");
                }
                String what = kind == Kind.PAUSE_AGENT ? "agent" : "mariadbd";
                FaultCluster.signal("STOP", process.get().pid());
                history.event("SIGSTOP %s of %s for %d ms", what, node.name, millis);
                heals.add(() -> {
                    FaultCluster.signal("CONT", process.get().pid());
                    history.event("HEAL SIGCONT %s of %s", what, node.name);
                });
            }
            default -> throw new IllegalArgumentException(kind + " is not a single-member fault");
        }
        return true;
    }

    private boolean noProcess(Kind kind, AgentNode node, String what) {
        history.event("skipped %s on %s: no %s running", kind, node.name, what);
        return false;
    }

    private void restart(AgentNode node) {
        restarts.start(node);
        history.event("HEAL agent of %s started again", node.name);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis); // the fault's duration: what is being injected
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
