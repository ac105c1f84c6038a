package dev.autopilot.cli.local;

import dev.autopilot.cli.CommandFailure;
import dev.autopilot.cli.ExitCodes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code autopilot local start MEMBER}: starts a stopped member's agent again (it rejoins on its own). */
@Command(name = "start", mixinStandardHelpOptions = true, description = "Start a stopped member again.")
final class LocalStart extends LocalMemberCommand {
    @Parameters(paramLabel = "MEMBER")
    String member;

    @Override
    public Integer call() {
        LocalState state = state();
        if (!state.memberNames().contains(member)) {
            throw CommandFailure.usage("no member '" + member + "' in this local cluster (members: " + state.memberNames() + ")");
        }
        if (state.process(member).flatMap(LocalState.LocalProcess::handle).isPresent()) {
            throw CommandFailure.failed(member + " is already running");
        }
        var p = startAgent(member);
        layout().writeState(state.with(p));
        out().println("started " + member + " (pid " + p.pid() + "); it rejoins on its own: autopilot status");
        return ExitCodes.OK;
    }
}
