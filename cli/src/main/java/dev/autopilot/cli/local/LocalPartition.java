package dev.autopilot.cli.local;

import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.cli.CommandFailure;
import dev.autopilot.cli.ExitCodes;
import dev.autopilot.cli.cluster.ClusterConnection;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code autopilot local partition MEMBER [--for 10s]}: the member stops answering for a while. Local mode may
 * not touch the host firewall, so this freezes the member's agent and mariadbd (SIGSTOP), then resumes them
 * (SIGCONT): to the others it is a node cut off from the network; to itself, time jumps. Its lease runs out
 * meanwhile, so a frozen primary is replaced and, when thawed, finds it lost the lock and rejoins.
 */
@Command(name = "partition", mixinStandardHelpOptions = true,
        description = "Make a member stop answering for a while (freezes its processes; see docs/operations.md).")
final class LocalPartition extends LocalMemberCommand {
    @Parameters(paramLabel = "MEMBER")
    String member;

    @Option(names = "--for", defaultValue = "10s", paramLabel = "DURATION", description = "How long (default 10s).")
    Duration duration;

    @Override
    public Integer call() {
        LocalState state = state();
        ProcessHandle agent = state.process(member).flatMap(LocalState.LocalProcess::handle)
                .orElseThrow(() -> CommandFailure.failed(member + " is not running (members: " + state.memberNames() + ")"));
        try (ClusterConnection store = connect(state)) {
            Optional<String> before = store.read().primary().map(MemberRecord::name);
            var frozen = LocalProcesses.freeze(agent);
            long start = System.nanoTime();
            out().printf("%s frozen (SIGSTOP of %d processes) for %d s%n", member, frozen.size(), duration.toSeconds());
            out().flush();
            Optional<String> seen = before;
            Instant until = Instant.now().plus(duration);
            try {
                while (Instant.now().isBefore(until)) {
                    Optional<String> now = store.read().primary().map(MemberRecord::name);
                    if (!now.equals(seen)) {
                        out().printf("after %s: primary is %s%n", seconds(start), now.orElse("none"));
                        out().flush();
                        seen = now;
                    }
                    Thread.sleep(200); // sampling the cluster while the partition lasts
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                LocalProcesses.thaw(frozen);
            }
            out().printf("%s resumed after %s; it rejoins on its own (autopilot status)%n", member, seconds(start));
            return ExitCodes.OK;
        }
    }
}
