package dev.autopilot.coordination;

import dev.autopilot.coordination.consul.ConsulCoordinator;
import dev.autopilot.coordination.etcd.EtcdCoordinator;

/** Opens the {@link Coordinator} for a backend. */
public final class Coordinators {

    private Coordinators() {
    }

    /**
     * Validates the settings (every problem listed), connects, and checks that the store answers, retrying with
     * backoff for {@link CoordinatorSettings#startupTimeout()}.
     *
     * @throws IllegalArgumentException invalid settings, listing every problem by path
     * @throws CoordinationException    store unreachable within the startup timeout
     */
    public static Coordinator open(CoordinatorSettings settings) {
        var problems = settings.validate();
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid coordination settings:\n  " + String.join("\n  ", problems));
        }
        return switch (settings.backend()) {
            case ETCD -> EtcdCoordinator.open(settings);
            case CONSUL -> ConsulCoordinator.open(settings);
        };
    }
}
