package dev.autopilot.coordination;

/**
 * A running watch. Delivery starts with changes made after {@code watch...} returned; after a connection loss
 * the backend resumes from the last delivered revision (etcd) or index (Consul), so no change is lost or
 * delivered twice. Close to stop; idempotent.
 */
public interface Watch extends AutoCloseable {

    @Override
    void close();
}
