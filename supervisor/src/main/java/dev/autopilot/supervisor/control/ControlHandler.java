package dev.autopilot.supervisor.control;

import java.util.List;

/**
 * What the control plane can ask of a supervisor. Each method returns the response lines; throwing
 * {@link ControlException} turns into an {@code error} response.
 */
public interface ControlHandler {
    List<String> reload() throws ControlException;

    List<String> maintenance(boolean on) throws ControlException;

    List<String> status() throws ControlException;

    /** A request failed; the message (possibly several lines) goes back to the client. */
    final class ControlException extends Exception {
        public ControlException(String message) {
            super(message);
        }
    }
}
