package dev.autopilot.cli.local;

import dev.autopilot.cli.ExitCodes;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code autopilot local down [--purge]}: stops everything {@code local up} started (agents gracefully). */
@Command(name = "down", mixinStandardHelpOptions = true, description = "Stop the local cluster (keeps data unless --purge).")
final class LocalDown extends LocalMemberCommand {
    @Option(names = "--purge", description = "Also delete the directory: data, secrets, logs.")
    boolean purge;

    @Override
    public Integer call() throws IOException {
        LocalState state = state();
        // HAProxy first (no new client sessions), then the agents together (each stops its database), etcd last.
        stopAll(state, List.of("haproxy"));
        stopAll(state, state.memberNames());
        stopAll(state, List.of("etcd"));
        layout().deleteState();
        if (purge) {
            try (var walk = Files.walk(layout().root())) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
            out().println("deleted " + layout().root());
        }
        out().println("local cluster '" + state.cluster() + "' stopped");
        return ExitCodes.OK;
    }

    private void stopAll(LocalState state, List<String> names) {
        List<CompletableFuture<Void>> stops = new ArrayList<>();
        for (String name : names) {
            state.process(name).flatMap(LocalState.LocalProcess::handle).ifPresent(h -> stops.add(CompletableFuture.runAsync(() -> {
                LocalProcesses.stop(h, Duration.ofSeconds(30));
                synchronized (this) {
                    out().println("stopped " + name + " (pid " + h.pid() + ")");
                    out().flush();
                }
            }, r -> Thread.ofVirtual().name("stop-" + name).start(r))));
        }
        stops.forEach(CompletableFuture::join);
    }
}
