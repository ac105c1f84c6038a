package dev.autopilot.cli.local;

import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.cli.CommandFailure;
import dev.autopilot.cli.ExitCodes;
import dev.autopilot.cli.cluster.ClusterConnection;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code autopilot local kill MEMBER}: a node crash (SIGKILL of the agent and its mariadbd). Reports when a new
 * primary took over, then starts the member again (as a container's restart policy would) and reports when it
 * rejoined; {@code --no-restart} leaves it down ({@code local start MEMBER} brings it back).
 */
@Command(name = "kill", mixinStandardHelpOptions = true, description = "Crash a member (kill -9 of agent and database) to see failover.")
final class LocalKill extends LocalMemberCommand {
    @Parameters(paramLabel = "MEMBER")
    String member;

    @Option(names = "--no-restart", description = "Leave the member down.")
    boolean noRestart;

    @Option(names = "--timeout", defaultValue = "90s", paramLabel = "DURATION", description = "How long to wait for each step.")
    Duration timeout;

    @Override
    public Integer call() {
        LocalState state = state();
        if (!state.memberNames().contains(member)) {
            throw CommandFailure.usage("no member '" + member + "' in this local cluster (members: " + state.memberNames() + ")");
        }
        ProcessHandle agent = state.process(member).flatMap(LocalState.LocalProcess::handle)
                .orElseThrow(() -> CommandFailure.failed(member + " is not running; start it with 'autopilot local start " + member + "'"));
        try (ClusterConnection store = connect(state)) {
            boolean wasPrimary = store.read().primary().map(MemberRecord::name).filter(member::equals).isPresent();
            long killed = System.nanoTime();
            LocalProcesses.crash(agent);
            out().printf("killed %s (agent pid %d and its mariadbd)%s%n", member, agent.pid(), wasPrimary ? ", the primary" : "");
            out().flush();
            if (wasPrimary) {
                var c = await(store, timeout, r -> r.primary().filter(p -> !p.name().equals(member)).isPresent(), "a new primary");
                out().printf("%s is the new primary after %s%n", c.primary().orElseThrow().name(), seconds(killed));
                out().flush();
            }
            if (noRestart) {
                out().println(member + " stays down; 'autopilot local start " + member + "' brings it back");
                return ExitCodes.OK;
            }
            // The dead member's record lives until its lease expires; wait for that, or the rejoin check below would
            // read the record it left behind.
            await(store, timeout, r -> r.member(member).isEmpty(), member + "'s old record to expire");
            long restarted = System.nanoTime();
            layout().writeState(state.with(startAgent(member)));
            out().println("restarted " + member + "; waiting for it to rejoin");
            out().flush();
            var c = await(store, timeout, r -> r.member(member).filter(m -> m.healthy() && m.role() != dev.autopilot.agent.cluster.Role.NONE)
                    .isPresent(), member + " rejoining");
            out().printf("%s rejoined as %s after %s%n", member,
                    c.member(member).map(m -> m.role().name().toLowerCase()).orElse("?"), seconds(restarted));
            return ExitCodes.OK;
        }
    }

}
