package dev.autopilot.mysql.health;

import dev.autopilot.mysql.admin.DatabaseAdmin;
import dev.autopilot.mysql.flavor.ReplicationStatus;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Checks a server against the role it is expected to have. Never hangs: every statement runs under
 * the {@link DatabaseAdmin}'s connect and query timeouts, and any failure becomes an unhealthy report
 * rather than an exception. A replica whose SQL thread has stopped on an error is unhealthy, with the
 * error text (a fault of the original design was to call it healthy).
 */
public final class HealthProbe {

    private final DatabaseAdmin admin;
    private final Duration maxLag;

    /** @param maxLag replicas lagging more than this are unhealthy */
    public HealthProbe(DatabaseAdmin admin, Duration maxLag) {
        this.admin = admin;
        this.maxLag = maxLag;
    }

    public HealthReport probe(ExpectedRole role) {
        long start = System.nanoTime();
        List<String> problems = new ArrayList<>();
        Optional<Duration> lag = Optional.empty();
        try {
            if (!admin.ping()) {
                problems.add("server at " + admin.target() + " does not answer SELECT 1");
            } else {
                switch (role) {
                    case PRIMARY -> {
                        if (admin.isReadOnly()) {
                            problems.add("server is read-only but expected to be the writable primary");
                        }
                    }
                    case REPLICA -> lag = checkReplica(admin.replicationStatus(), problems);
                    case ANY -> { }
                }
            }
        } catch (RuntimeException e) { // a probe reports; it never throws

            problems.add("probe of " + admin.target() + " failed: " + e.getMessage());
        }
        return new HealthReport(problems.isEmpty(), role, problems, lag, Duration.ofNanos(System.nanoTime() - start));
    }

    private Optional<Duration> checkReplica(ReplicationStatus s, List<String> problems) {
        if (!s.configured()) {
            problems.add("server replicates from nobody but is expected to be a replica");
            return Optional.empty();
        }
        if (!s.sqlRunning()) {
            problems.add(s.lastSqlErrno() != 0
                    ? "replication SQL thread stopped with error " + s.lastSqlErrno() + ": " + s.lastSqlError()
                    : "replication SQL thread is not running");
        }
        if (!s.ioRunning()) {
            String base = "replication IO thread is " + s.io().name().toLowerCase(java.util.Locale.ROOT)
                    + " (source " + s.sourceHost() + ":" + s.sourcePort() + ")";
            problems.add(s.lastIoErrno() != 0 ? base + ", error " + s.lastIoErrno() + ": " + s.lastIoError() : base);
        }
        Optional<Duration> lag = s.secondsBehind().map(Duration::ofSeconds);
        lag.filter(l -> l.compareTo(maxLag) > 0)
                .ifPresent(l -> problems.add("replica lags " + l.toSeconds() + " s, more than the limit of " + maxLag.toSeconds() + " s"));
        return lag;
    }
}
