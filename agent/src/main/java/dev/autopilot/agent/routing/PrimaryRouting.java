package dev.autopilot.agent.routing;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells HAProxy at once when this member's writes open or close, instead of leaving clients to the proxy's next
 * health check (up to its {@code inter} later, 500 ms in our configurations). When writes open here, this member's
 * server in the primary backend is marked up and every other server down, their client sessions shut; when they
 * close, this member's server is marked down and its sessions shut, so clients reconnect to whoever opens next.
 *
 * <p>A hint, never the authority: the HTTP check ({@code HEAD /primary}) stays on and overrides these marks at its next
 * run, so a lost or stale message costs at most one check interval. Nothing here delays an HA decision: each proxy
 * has its own virtual thread that delivers the newest wanted state, retrying with backoff while the proxy is away,
 * and logs once per change.
 */
public final class PrimaryRouting implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PrimaryRouting.class);
    private static final Duration FIRST_RETRY = Duration.ofMillis(100);
    private static final Duration LAST_RETRY = Duration.ofSeconds(5);

    private enum Route { HERE, AWAY }

    private final String member;
    private final String backend;
    private final String server;
    private final List<Courier> couriers = new ArrayList<>();
    private boolean writesOpen;

    /**
     * @param member  this member's name, for log lines
     * @param proxies the HAProxies in front of the cluster
     * @param backend their backend that routes writes (the one whose check is {@code /primary})
     * @param server  this member's server name in that backend
     */
    public PrimaryRouting(String member, List<HaproxyRuntimeApi> proxies, String backend, String server) {
        this.member = member;
        this.backend = backend;
        this.server = server;
        for (HaproxyRuntimeApi proxy : proxies) {
            Courier courier = new Courier(proxy);
            couriers.add(courier);
            Thread.ofVirtual().name("haproxy-routing-" + proxy.address()).start(courier::deliver);
        }
    }

    /**
     * Whether this member's writes are open, called by its write gate the moment that changes (writes opened under the
     * lock; a fence started; the server exited). Tells the proxies when writes open (also on the first call), and when
     * open writes close; a member that never had them open stays quiet. Never blocks: the couriers deliver.
     */
    public synchronized void writesOpen(boolean open) {
        if (open != writesOpen) {
            couriers.forEach(c -> c.want(open ? Route.HERE : Route.AWAY));
        }
        writesOpen = open;
    }

    @Override
    public void close() {
        couriers.forEach(Courier::close);
    }

    /** Delivers the newest wanted route to one proxy. */
    private final class Courier {
        private final HaproxyRuntimeApi proxy;
        private Route wanted;
        private Route delivered;
        private boolean closed;
        /**
         * The backend's servers as last asked, so that opening writes here is one call to the proxy, not two (the list
         * is asked again after every delivery, off the hand-over's path; a server added since is left to the check).
         */
        private List<String> servers;

        Courier(HaproxyRuntimeApi proxy) {
            this.proxy = proxy;
        }

        synchronized void want(Route route) {
            wanted = route;
            notifyAll();
        }

        synchronized void close() {
            closed = true;
            notifyAll();
        }

        private synchronized Route next() throws InterruptedException {
            while (!closed && (wanted == null || wanted == delivered)) {
                wait();
            }
            return closed ? null : wanted;
        }

        private synchronized boolean stillWanted(Route route) {
            return !closed && wanted == route;
        }

        void deliver() {
            String failing = "";
            Duration retry = FIRST_RETRY;
            learnServers();
            try {
                for (Route route = next(); route != null; route = next()) {
                    try {
                        String done = send(route);
                        synchronized (this) {
                            delivered = route;
                        }
                        LOG.info("{}: HAProxy {}: {}", member, proxy, done);
                        failing = "";
                        retry = FIRST_RETRY;
                        learnServers();
                    } catch (IOException e) {
                        if (!e.getMessage().equals(failing)) {
                            failing = e.getMessage();
                            LOG.warn("{}: could not tell HAProxy {} that writes {} ({}); retrying with backoff, and its health "
                                    + "check routes by itself meanwhile", member, proxy, route == Route.HERE ? "opened here" : "closed here",
                                    failing);
                        }
                        synchronized (this) {
                            if (stillWanted(route)) {
                                wait(retry.toMillis());
                            }
                        }
                        retry = retry.multipliedBy(2).compareTo(LAST_RETRY) > 0 ? LAST_RETRY : retry.multipliedBy(2);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Asks the proxy for the backend's servers ahead of need; a proxy not answering is asked again when sent to. */
        private void learnServers() {
            try {
                servers = proxy.servers(backend);
            } catch (IOException e) {
                servers = null;
            }
        }

        /** Sends what {@code route} takes; returns what was done, for the log. */
        private String send(Route route) throws IOException {
            List<String> commands = new ArrayList<>();
            List<String> others = new ArrayList<>();
            if (route == Route.HERE) {
                // Marked up before the others go down: clients that reconnect find the new primary, not an empty backend.
                commands.add("set server " + backend + "/" + server + " health up");
                if (servers == null) {
                    servers = proxy.servers(backend);
                }
                for (String name : servers) {
                    if (!name.equals(server)) {
                        others.add(name);
                        commands.add("set server " + backend + "/" + name + " health down");
                        commands.add("shutdown sessions server " + backend + "/" + name);
                    }
                }
            } else {
                commands.add("set server " + backend + "/" + server + " health down");
                commands.add("shutdown sessions server " + backend + "/" + server);
            }
            String answer = proxy.run(commands);
            if (!answer.isEmpty()) {
                throw new IOException("it answered '" + HaproxyRuntimeApi.firstLine(answer) + "' (is '" + backend + "/" + server
                        + "' its primary backend and this member's server name? see haproxy.backend and haproxy.server)");
            }
            return route == Route.HERE
                    ? "writes routed to " + backend + "/" + server + (others.isEmpty() ? "" : ", " + String.join(", ", others) + " marked down")
                    : backend + "/" + server + " marked down and its sessions shut";
        }
    }
}
