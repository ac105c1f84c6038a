package dev.autopilot.agent.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.autopilot.testkit.net.JavaCommand;
import dev.autopilot.testkit.net.NetworkNamespace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A short seeded fault campaign (bench/faults with a fixed seed and a handful of faults, zero-loss mode) in its own
 * network namespace, asserting the checker's hard invariants over the fault kinds in {@link #FAULTS}.
 */
@Timeout(value = 9, unit = TimeUnit.MINUTES)
class FaultSuiteTest {
    static final long SEED = 90; // draws a replica's mariadbd crash, the primary's agent frozen, then killed, then a primary node crash
    /** Fault kinds drawn from: the crashes, freezes and store faults where split brain and lost writes hide. */
    static final List<String> FAULTS = List.of("KILL_NODE", "KILL_DATABASE", "KILL_AGENT", "PAUSE_AGENT", "ETCD_QUORUM_LOSS",
            "CUT_PRIMARY_FROM_STORE", "FAULT_DURING_FAILOVER");

    /**
     * Every hard invariant, by the CHECK line's key: twoWritable (never two members accepting writes), lost (no
     * acknowledged write missing on the final primary in zero-loss mode), backwards (reads on a primary never go
     * backwards), converged (same GTID position and checksums everywhere after the last heal), stuck (no member left
     * behind).
     */
    static final List<String> INVARIANTS = List.of("twoWritable", "lost", "backwards", "converged", "stuck");

    @Test
    void aSeededRunOfSingleAndCompoundFaultsKeepsEveryInvariant() throws Exception {
        Map<String, String> figures = campaign("FaultSuiteTest", "--seed", Long.toString(SEED), "--minutes", "2", "--zero-loss",
                "--faults", "4", "--kinds", String.join(",", FAULTS), "--recovery", "120");
        assertInvariants(figures, INVARIANTS);
    }

    /** Runs a campaign in a new network namespace; returns its CHECK figures plus {@code history} (the history file). */
    static Map<String, String> campaign(String name, String... args) throws Exception {
        NetworkNamespace.unavailableReason().ifPresent(reason -> Assumptions.abort("fault suite skipped: " + reason));
        Path root = TestCluster.tempRoot(name);
        Path out = root.resolve("campaign.log");
        Path history = root.resolve(name + ".history");
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--root", root.resolve("cluster").toString(), "--history", history.toString()));
        Process campaign = NetworkNamespace.start(JavaCommand.of(FaultCampaign.class, all.toArray(String[]::new)), out);
        try {
            assertThat(campaign.waitFor(8, TimeUnit.MINUTES)).as("campaign finished").isTrue();
        } finally {
            NetworkNamespace.destroyTree(campaign);
        }
        String output = Files.readString(out);
        System.out.println(output.lines().filter(l -> !l.startsWith("WARNING") && !l.contains(" INFO ")).reduce("", (a, b) -> a + b + "\n"));
        String check = output.lines().filter(l -> l.startsWith("CHECK ")).findFirst()
                .orElseThrow(() -> new AssertionError("the campaign gave no verdict:\n" + output));
        Map<String, String> figures = new LinkedHashMap<>();
        for (String kv : check.substring("CHECK ".length()).split(" ")) {
            figures.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        figures.put("history", history.toString());
        return figures;
    }

    static void assertInvariants(Map<String, String> figures, List<String> invariants) {
        assertThat(Long.parseLong(figures.get("acked"))).as("acknowledged writes").isPositive();
        for (String invariant : invariants) {
            String expected = invariant.equals("converged") ? "true" : "0";
            assertThat(figures.get(invariant)).as(invariant + " (history: " + figures.get("history") + ")").isEqualTo(expected);
        }
    }
}
