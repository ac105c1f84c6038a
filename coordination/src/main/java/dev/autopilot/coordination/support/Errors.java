package dev.autopilot.coordination.support;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Unwrapping and describing failures for operator messages. */
public final class Errors {

    private Errors() {
    }

    /** The cause behind future/completion wrappers. */
    public static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof ExecutionException || c instanceof CompletionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    /** {@code SimpleName: message} of the unwrapped cause. */
    public static String describe(Throwable t) {
        Throwable c = unwrap(t);
        return c.getClass().getSimpleName() + (c.getMessage() == null ? "" : ": " + c.getMessage());
    }
}
