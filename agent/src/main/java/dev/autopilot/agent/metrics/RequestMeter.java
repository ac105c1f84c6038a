package dev.autopilot.agent.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Times the requests to one store and counts their errors, by operation: {@code <prefix>_request_seconds{operation}}
 * (summary) and {@code <prefix>_errors_total{operation}}. Every operation's meters exist from the start, so an alert on
 * the error rate sees the first error.
 */
final class RequestMeter {
    /** A request to a store. */
    interface Call<T, E extends Exception> {
        T run() throws E;
    }

    private final Map<String, Timer> timers;
    private final Map<String, Counter> errors;

    RequestMeter(MeterRegistry registry, String prefix, List<String> operations) {
        timers = operations.stream().collect(Collectors.toUnmodifiableMap(o -> o, o -> Timer.builder(prefix + "_request")
                .description("duration of requests, failed ones included").tag("operation", o).register(registry)));
        errors = operations.stream().collect(Collectors.toUnmodifiableMap(o -> o, o -> Counter.builder(prefix + "_errors")
                .description("requests that failed because the store did not answer or refused").tag("operation", o).register(registry)));
    }

    /** Runs {@code call} as {@code operation}; a thrown exception that {@code isError} accepts counts as an error. */
    <T, E extends Exception> T time(String operation, Predicate<Exception> isError, Call<T, E> call) throws E {
        long start = System.nanoTime();
        try {
            return call.run();
        } catch (Exception e) {
            if (isError.test(e)) {
                errors.get(operation).increment();
            }
            throw e;
        } finally {
            timers.get(operation).record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }
}
