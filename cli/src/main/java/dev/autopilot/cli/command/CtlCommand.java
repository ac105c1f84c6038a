package dev.autopilot.cli.command;

import dev.autopilot.cli.CommandFailure;
import dev.autopilot.cli.ExitCodes;
import dev.autopilot.supervisor.control.ControlClient;
import dev.autopilot.supervisor.control.ControlResponse;
import dev.autopilot.supervisor.control.ControlServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code autopilot ctl ping|status|reload|maintenance on|off}: the supervisor's control plane over its unix socket. */
@Command(name = "ctl", mixinStandardHelpOptions = true,
        description = "Talk to a running supervisor: ping, status, reload, maintenance on|off.")
public final class CtlCommand extends CliCommand {
    private static final List<String> REQUESTS = List.of("ping", "status", "reload", "maintenance on", "maintenance off");

    @Option(names = "--socket", paramLabel = "PATH", description = "Control socket (default: the supervisor's default).")
    Path socket;

    @Parameters(arity = "1..2", paramLabel = "REQUEST", description = "ping | status | reload | maintenance on|off")
    List<String> request;

    @Override
    public Integer call() {
        String line = String.join(" ", request);
        if (!REQUESTS.contains(line)) {
            throw CommandFailure.usage("unknown request '" + line + "' (one of: " + String.join(", ", REQUESTS) + ")");
        }
        ControlResponse r;
        try {
            r = new ControlClient(socket != null ? socket : ControlServer.defaultSocket()).send(line);
        } catch (IOException e) {
            throw CommandFailure.unreachable(e.getMessage());
        }
        if (!r.ok()) {
            throw CommandFailure.failed(line + " refused by the supervisor: " + String.join(" | ", r.lines()));
        }
        r.lines().forEach(out()::println);
        return ExitCodes.OK;
    }
}
