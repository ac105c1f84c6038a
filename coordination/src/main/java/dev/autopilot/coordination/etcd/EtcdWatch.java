package dev.autopilot.coordination.etcd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.autopilot.coordination.CoordinationException;
import dev.autopilot.coordination.Member;
import dev.autopilot.coordination.Watch;
import dev.autopilot.coordination.WatchEvent;
import dev.autopilot.coordination.WatchListener;
import dev.autopilot.coordination.support.Errors;
import dev.autopilot.coordination.support.MemberCodec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A watch on etcd through the gateway's streaming {@code /v3/watch}: one HTTP request whose answer is a line of JSON
 * per message. It starts at the revision after the one current when it was created, so nothing made after
 * {@code watch...} returned is missed. A stream that breaks (member killed, stopped, cut off from the leader) is opened
 * again on the next endpoint from the revision after the last one delivered, so a resume neither loses nor repeats a
 * change; a compacted revision ends the watch with {@link WatchListener#onError}.
 *
 * <p>Two virtual threads per watch: the reader, which also delivers (in revision order; a slow listener delays only
 * its own watch), and a watchdog that, when the stream has been silent for a while and the member has not answered
 * other requests meanwhile, asks it whether it still answers: a stopped or unreachable member never closes the
 * connection.
 */
final class EtcdWatch implements Watch {

    private static final Logger LOG = LoggerFactory.getLogger(EtcdWatch.class);
    /** Silence after which the watchdog checks the member, and how long that check may take. */
    private static final Duration SILENCE = Duration.ofSeconds(5);
    private static final Duration CHECK = Duration.ofSeconds(2);

    private final EtcdCoordinator etcd;
    private final String key;
    private final byte[] rangeEnd;
    private final boolean service;
    private final WatchListener listener;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile long lastRevision;
    private volatile long lastHeard = System.nanoTime();
    private volatile EtcdHttp.Stream stream;
    private volatile boolean delivering;
    private boolean interrupted; // reader thread only
    private Thread reader;
    private Thread watchdog;

    private EtcdWatch(EtcdCoordinator etcd, String key, byte[] rangeEnd, boolean service, long afterRevision, WatchListener listener) {
        this.etcd = etcd;
        this.key = key;
        this.rangeEnd = rangeEnd;
        this.service = service;
        this.lastRevision = afterRevision;
        this.listener = listener;
    }

    /** Watches every key under {@code absPrefix} from the next revision; tracked, so the coordinator closes it. */
    static EtcdWatch start(EtcdCoordinator etcd, String absPrefix, boolean service, WatchListener listener) {
        byte[] end = EtcdCoordinator.prefixEnd(absPrefix);
        long revision = EtcdHttp.revision(etcd.call("start watch on " + absPrefix, EtcdCoordinator.ANY_TRANSPORT_ERROR, "/v3/kv/range",
                etcd.range(absPrefix, end).put("count_only", true)));
        EtcdWatch w = new EtcdWatch(etcd, absPrefix, end, service, revision, listener);
        etcd.track(w);
        w.begin();
        LOG.debug("watching {} from revision {}", absPrefix, revision + 1);
        return w;
    }

    /** Watches one key for changes after {@code afterRevision}; the caller closes it. */
    static EtcdWatch onKey(EtcdCoordinator etcd, String absKey, long afterRevision, WatchListener listener) {
        EtcdWatch w = new EtcdWatch(etcd, absKey, null, false, afterRevision, listener);
        w.begin();
        return w;
    }

    private void begin() {
        reader = Thread.ofVirtual().name("watch-" + key).start(this::read);
        watchdog = Thread.ofVirtual().name("watch-check-" + key).start(this::check);
    }

    private ObjectNode createRequest() {
        ObjectNode create = EtcdHttp.JSON.createObjectNode();
        ObjectNode r = create.putObject("create_request").put("key", EtcdHttp.b64(key))
                .put("start_revision", Long.toString(lastRevision + 1)).put("prev_kv", service);
        if (rangeEnd != null) {
            r.put("range_end", EtcdHttp.b64(rangeEnd));
        }
        return create;
    }

    /** Opens the stream, reads it to its end, and again from where it stopped, until closed or compacted. */
    private void read() {
        long backoffMs = 50;
        while (!closed.get()) {
            int endpoint = -1;
            try {
                EtcdHttp.Stream s = etcd.http().open("/v3/watch", createRequest(), etcd.requestTimeout().toNanos());
                endpoint = s.endpoint();
                stream = s;
                if (closed.get()) {
                    quietlyClose(s);
                    return;
                }
                try (BufferedReader lines = new BufferedReader(new InputStreamReader(s.body(), StandardCharsets.UTF_8))) {
                    for (String line; (line = lines.readLine()) != null; ) {
                        lastHeard = System.nanoTime();
                        if (!line.isBlank() && !handle(EtcdHttp.JSON.readTree(line))) {
                            return;
                        }
                        backoffMs = 50;
                    }
                }
                interrupted("the stream ended");
            } catch (IOException | EtcdHttp.Refused e) {
                if (closed.get()) {
                    return;
                }
                interrupted(Errors.describe(e));
            } catch (InterruptedException e) {
                return;
            }
            if (endpoint >= 0) {
                etcd.http().failedOn(endpoint);
            }
            try {
                Thread.sleep(backoffMs);
            } catch (InterruptedException e) {
                return;
            }
            backoffMs = Math.min(1000, backoffMs * 2);
        }
    }

    private void interrupted(String why) {
        if (!closed.get() && !interrupted) {
            interrupted = true;
            LOG.info("watch on {} interrupted ({}); resuming from revision {}", key, why, lastRevision + 1);
        }
    }

    /** One message; false when the watch has ended. An error that a new stream may not have is thrown. */
    private boolean handle(JsonNode message) throws IOException {
        JsonNode error = message.get("error");
        if (error != null) {
            if (error.path("grpc_code").asInt() == 16) {
                etcd.http().forgetToken(); // expired: the next stream authenticates again
            }
            throw new IOException(error.path("message").asText(error.toString()));
        }
        JsonNode result = message.path("result");
        if (result.path("created").asBoolean(false) && interrupted) {
            interrupted = false;
            LOG.info("watch on {} resumed", key);
        }
        if (result.path("canceled").asBoolean(false)) {
            long compacted = EtcdHttp.int64(result, "compact_revision");
            String reason = result.path("cancel_reason").asText("");
            if (compacted == 0 && (reason.isEmpty() || reason.contains("no leader"))) {
                throw new IOException("etcd ended the watch" + (reason.isEmpty() ? "" : ": " + reason));
            }
            end(new CoordinationException("watch on " + key + " ended and cannot resume without losing changes: "
                    + (compacted > 0 ? "etcd compacted the revisions up to " + compacted + " it would resume from (" + (lastRevision + 1) + ")"
                    : reason) + "; re-read the state and watch again"));
            return false;
        }
        long delivered = lastRevision;
        long newest = delivered;
        for (JsonNode e : result.path("events")) {
            WatchEvent event = event(e);
            if (event.revision() <= delivered) {
                continue; // delivered before a resume
            }
            newest = Math.max(newest, event.revision());
            deliver(event);
        }
        lastRevision = newest;
        return !closed.get();
    }

    private WatchEvent event(JsonNode e) {
        boolean put = !"DELETE".equals(e.path("type").asText("PUT"));
        JsonNode kv = e.path("kv");
        String relative = etcd.scope().relative(new String(EtcdHttp.bytes(kv, "key"), StandardCharsets.UTF_8));
        byte[] value = put ? EtcdHttp.bytes(kv, "value") : new byte[0];
        Optional<Member> member = Optional.empty();
        if (service) {
            member = MemberCodec.decode(put ? value : EtcdHttp.bytes(e.path("prev_kv"), "value"));
            relative = relative.substring(relative.lastIndexOf('/') + 1);
        }
        return new WatchEvent(put ? WatchEvent.Type.PUT : WatchEvent.Type.DELETE, relative, value, EtcdHttp.int64(kv, "mod_revision"), member);
    }

    private void deliver(WatchEvent event) {
        delivering = true;
        try {
            listener.onEvent(event);
        } catch (RuntimeException ex) {
            LOG.error("watch listener on {} failed; the watch continues", key, ex);
        } finally {
            delivering = false;
        }
    }

    private void end(CoordinationException error) {
        closed.set(true);
        etcd.untrack(this);
        watchdog.interrupt();
        LOG.warn("{}", error.getMessage());
        try {
            listener.onError(error);
        } catch (RuntimeException ex) {
            LOG.error("watch listener on {} failed", key, ex);
        }
    }

    /** Closes a silent stream whose member no longer answers, so the reader resumes on another. */
    private void check() {
        while (!closed.get()) {
            try {
                Thread.sleep(SILENCE);
            } catch (InterruptedException e) {
                return;
            }
            EtcdHttp.Stream s = stream;
            if (s != null && System.nanoTime() - lastHeard > SILENCE.toNanos() && !closed.get()
                    && !etcd.http().answers(s.endpoint(), SILENCE.toNanos(), CHECK.toNanos()) && stream == s && !closed.get()) {
                LOG.debug("watch on {}: its member does not answer; moving the stream", key);
                quietlyClose(s);
            }
        }
    }

    private static void quietlyClose(EtcdHttp.Stream s) {
        try {
            s.body().close();
        } catch (IOException e) {
            // closing only frees the connection; nothing to report
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            EtcdHttp.Stream s = stream;
            if (s != null) {
                quietlyClose(s);
            }
            watchdog.interrupt();
            if (!delivering && reader != Thread.currentThread()) {
                reader.interrupt(); // waiting to connect or to retry; never while the listener runs
            }
            etcd.untrack(this);
        }
    }
}
