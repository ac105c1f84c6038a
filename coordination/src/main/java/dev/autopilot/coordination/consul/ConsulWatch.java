package dev.autopilot.coordination.consul;

import com.fasterxml.jackson.databind.JsonNode;
import dev.autopilot.coordination.CoordinationException;
import dev.autopilot.coordination.Member;
import dev.autopilot.coordination.Watch;
import dev.autopilot.coordination.WatchEvent;
import dev.autopilot.coordination.WatchListener;
import dev.autopilot.coordination.support.MemberCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A watch on Consul through blocking queries ({@code ?index=N&wait=10s}): each answer is compared with the
 * previous one and the differences become events, ordered by ModifyIndex. After a failed request the next one
 * carries the same index and the diff is against the last state delivered, so a reconnect loses no change.
 * Consul answers with state, not history: several changes of one key between two answers arrive as one event
 * with the latest value (the order of keys is kept).
 */
final class ConsulWatch implements Watch {

    private static final Logger LOG = LoggerFactory.getLogger(ConsulWatch.class);
    private static final Duration WAIT = Duration.ofSeconds(10);

    /** One entry of the watched state: revision (ModifyIndex, or the answer's index for services) and value. */
    private record Entry(long revision, byte[] value, Optional<Member> member) {
        boolean sameAs(Entry o) {
            return Arrays.equals(value, o.value);
        }
    }

    private final ConsulCoordinator consul;
    private final String what;
    private final String path;
    private final Function<ConsulHttp.Answer, Map<String, Entry>> parse;
    private final WatchListener listener;
    private Map<String, Entry> state;
    private long index;
    private volatile boolean closed;
    private Thread thread;

    private ConsulWatch(ConsulCoordinator consul, String what, String path, Function<ConsulHttp.Answer, Map<String, Entry>> parse,
                        WatchListener listener) {
        this.consul = consul;
        this.what = what;
        this.path = path;
        this.parse = parse;
        this.listener = listener;
    }

    static ConsulWatch prefix(ConsulCoordinator consul, String absPrefix, WatchListener listener) {
        return new ConsulWatch(consul, "prefix " + absPrefix, consul.kvPath(absPrefix) + "?recurse=true", a -> {
            Map<String, Entry> m = new HashMap<>();
            if (a.found()) {
                for (JsonNode e : a.json()) {
                    JsonNode v = e.path("Value");
                    byte[] value = v.isNull() || v.isMissingNode() ? new byte[0] : Base64.getDecoder().decode(v.asText());
                    m.put(consul.scope().relative(e.path("Key").asText()), new Entry(e.path("ModifyIndex").asLong(), value, Optional.empty()));
                }
            }
            return m;
        }, listener).start();
    }

    static ConsulWatch service(ConsulCoordinator consul, String service, WatchListener listener) {
        String name = consul.serviceName(service);
        return new ConsulWatch(consul, "service " + name, "/v1/health/service/" + ConsulHttp.enc(name) + "?passing=true", a -> {
            Map<String, Entry> m = new HashMap<>();
            for (Member member : ConsulCoordinator.members(service, a.json())) {
                m.put(member.name(), new Entry(a.index(), MemberCodec.encode(member), Optional.of(member)));
            }
            return m;
        }, listener).start();
    }

    private ConsulWatch start() {
        ConsulHttp.Answer first = consul.http().call(consul.retrier(), "start watch on " + what, "GET", path, null);
        state = parse.apply(first);
        index = Math.max(1, first.index());
        thread = Thread.ofVirtual().name("watch-" + what).start(this::loop);
        consul.track(this);
        return this;
    }

    private void loop() {
        long backoffMs = 100;
        while (!closed) {
            try {
                String sep = path.contains("?") ? "&" : "?";
                ConsulHttp.Answer a = consul.http().send("GET", path + sep + "index=" + index + "&wait=" + WAIT.toSeconds() + "s", null,
                        WAIT.plus(WAIT.dividedBy(16)).plus(consul.settings().requestTimeout()).toNanos());
                consul.health().succeeded();
                backoffMs = 100;
                long next = a.index();
                if (next < index) {
                    index = 1; // the index went backwards (store restored): start over, per Consul's docs
                    continue;
                }
                if (next == index) {
                    continue; // wait timed out, nothing changed
                }
                index = next;
                deliver(parse.apply(a), next);
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                if (closed) {
                    return;
                }
                if (e instanceof ConsulHttp.Refused r) {
                    listener.onError(new CoordinationException("watch on " + what + " refused: " + r.getMessage()));
                    return;
                }
                consul.health().failed("watch on " + what, e);
                try {
                    Thread.sleep(backoffMs);
                } catch (InterruptedException ie) {
                    return;
                }
                backoffMs = Math.min(2000, backoffMs * 2);
            }
        }
    }

    private void deliver(Map<String, Entry> next, long answerIndex) {
        List<WatchEvent> events = new ArrayList<>();
        next.forEach((key, e) -> {
            Entry old = state.get(key);
            if (old == null || !old.sameAs(e) || old.revision() != e.revision() && e.member().isEmpty()) {
                events.add(new WatchEvent(WatchEvent.Type.PUT, key, e.value(), e.revision(), e.member()));
            }
        });
        state.forEach((key, old) -> {
            if (!next.containsKey(key)) {
                events.add(new WatchEvent(WatchEvent.Type.DELETE, key, new byte[0], answerIndex, old.member()));
            }
        });
        events.sort(Comparator.comparingLong(WatchEvent::revision));
        state = next;
        for (WatchEvent ev : events) {
            try {
                listener.onEvent(ev);
            } catch (RuntimeException ex) {
                LOG.error("watch listener on {} failed; the watch continues", what, ex);
            }
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            thread.interrupt();
            consul.untrack(this);
        }
    }
}
