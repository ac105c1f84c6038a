package dev.autopilot.coordination.etcd;

import dev.autopilot.coordination.CoordinationException;
import dev.autopilot.coordination.Member;
import dev.autopilot.coordination.Watch;
import dev.autopilot.coordination.WatchEvent;
import dev.autopilot.coordination.WatchListener;
import dev.autopilot.coordination.support.Errors;
import dev.autopilot.coordination.support.MemberCodec;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchResponse;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A prefix watch on etcd. It starts at the revision after the one current when it was created, so nothing made
 * after {@code watch...} returned is missed. jetcd resumes a broken stream (member killed, fail-over to another
 * endpoint) from the revision after the last one received; events at or below the last delivered revision are
 * dropped here, so a resume never delivers twice. Delivery is on one named thread per watch, in revision order.
 */
final class EtcdWatch implements Watch {

    private static final Logger LOG = LoggerFactory.getLogger(EtcdWatch.class);
    private static final WatchEvent CLOSE = new WatchEvent(WatchEvent.Type.DELETE, "", new byte[0], -1, Optional.empty());

    private final EtcdCoordinator etcd;
    private final String prefix;
    private final boolean service;
    private final WatchListener listener;
    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean interrupted = new AtomicBoolean();
    private volatile long lastRevision;
    private io.etcd.jetcd.Watch.Watcher watcher;
    private Thread dispatcher;

    private EtcdWatch(EtcdCoordinator etcd, String prefix, boolean service, WatchListener listener) {
        this.etcd = etcd;
        this.prefix = prefix;
        this.service = service;
        this.listener = listener;
    }

    static EtcdWatch start(EtcdCoordinator etcd, String absPrefix, boolean service, WatchListener listener) {
        EtcdWatch w = new EtcdWatch(etcd, absPrefix, service, listener);
        long revision = etcd.retrier().call("start watch on " + absPrefix, EtcdCoordinator.ANY_TRANSPORT_ERROR,
                left -> etcd.client().getKVClient().get(EtcdCoordinator.bytes(absPrefix),
                        GetOption.builder().isPrefix(true).withCountOnly(true).build()).get(left, TimeUnit.NANOSECONDS))
                .getHeader().getRevision();
        w.lastRevision = revision;
        w.dispatcher = Thread.ofVirtual().name("watch-" + absPrefix).start(w::dispatch);
        w.watcher = etcd.client().getWatchClient().watch(EtcdCoordinator.bytes(absPrefix),
                WatchOption.builder().isPrefix(true).withRevision(revision + 1).withPrevKV(true).build(),
                io.etcd.jetcd.Watch.listener(w::onResponse, w::onError));
        etcd.track(w);
        LOG.debug("watching {} from revision {}", absPrefix, revision + 1);
        return w;
    }

    // Called by jetcd in stream order; only queues, so a slow listener never stalls gRPC.
    private void onResponse(WatchResponse response) {
        if (interrupted.compareAndSet(true, false)) {
            LOG.info("watch on {} resumed", prefix);
        }
        for (var e : response.getEvents()) {
            KeyValue kv = e.getKeyValue();
            boolean put = e.getEventType() == io.etcd.jetcd.watch.WatchEvent.EventType.PUT;
            if (!put && e.getEventType() != io.etcd.jetcd.watch.WatchEvent.EventType.DELETE) {
                continue;
            }
            String key = etcd.scope().relative(kv.getKey().toString());
            byte[] value = put ? kv.getValue().getBytes() : new byte[0];
            Optional<Member> member = Optional.empty();
            if (service) {
                member = MemberCodec.decode(put ? value : e.getPrevKV().getValue().getBytes());
                key = key.substring(key.lastIndexOf('/') + 1);
            }
            queue.add(new WatchEvent(put ? WatchEvent.Type.PUT : WatchEvent.Type.DELETE, key, value, kv.getModRevision(), member));
        }
    }

    private void onError(Throwable error) {
        // jetcd reports every stream error here, then either resumes (member gone, network) or closes the watcher
        // (e.g. revision compacted). Only the second must reach the listener; tell them apart once jetcd decided.
        if (closed.get()) {
            return;
        }
        if (interrupted.compareAndSet(false, true)) {
            LOG.info("watch on {} interrupted ({}); resuming from revision {}", prefix, Errors.describe(error), lastRevision + 1);
        }
        Thread.ofVirtual().name("watch-check-" + prefix).start(() -> {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
            if (!closed.get() && watcher.isClosed()) {
                queue.add(new CoordinationException("watch on " + prefix + " ended and cannot resume without losing changes: "
                        + Errors.describe(error) + "; re-read the state and watch again", error));
            }
        });
    }

    private void dispatch() {
        while (true) {
            Object item;
            try {
                item = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (item == CLOSE) {
                return;
            }
            try {
                if (item instanceof CoordinationException ce) {
                    LOG.warn("{}", ce.getMessage());
                    listener.onError(ce);
                } else if (item instanceof WatchEvent ev) {
                    if (ev.revision() < lastRevision) {
                        continue; // already delivered before a resume (one revision may hold several keys: kept)
                    }
                    lastRevision = ev.revision();
                    listener.onEvent(ev);
                }
            } catch (RuntimeException e) {
                LOG.error("watch listener on {} failed; the watch continues", prefix, e);
            }
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            watcher.close();
            queue.add(CLOSE);
            etcd.untrack(this);
        }
    }
}
