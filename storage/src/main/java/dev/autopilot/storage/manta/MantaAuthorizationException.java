package dev.autopilot.storage.manta;

import java.io.IOException;

/**
 * Manta refused a request's signature or its access (HTTP 401 or 403): a wrong user, key id or key, a key not
 * registered with the account, or a role without access. Retrying does not help; the message names what to check.
 */
public final class MantaAuthorizationException extends IOException {

    public MantaAuthorizationException(String message) {
        super(message);
    }
}
