package dev.autopilot.supervisor.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class EventBusTest {

    @Test
    void eachSubscriberReceivesEventsInPublicationOrder() {
        try (EventBus bus = new EventBus()) {
            List<String> fast = new CopyOnWriteArrayList<>();
            List<String> slow = new CopyOnWriteArrayList<>();
            bus.subscribe("fast", e -> fast.add(e.source()));
            bus.subscribe("slow", e -> {
                Thread.yield();
                slow.add(e.source());
            });
            List<String> sent = IntStream.range(0, 500).mapToObj(i -> "job" + i).toList();
            sent.forEach(s -> bus.publish(new Event(EventKind.TIMER, s)));
            await().atMost(Duration.ofSeconds(5)).until(() -> fast.size() == 500 && slow.size() == 500);
            assertThat(fast).isEqualTo(sent);
            assertThat(slow).isEqualTo(sent);
        }
    }

    @Test
    void subscriberThatThrowsKeepsReceivingAndDoesNotDisturbOthers() {
        try (EventBus bus = new EventBus()) {
            List<Event> seen = new CopyOnWriteArrayList<>();
            List<Event> other = new CopyOnWriteArrayList<>();
            bus.subscribe("broken", e -> {
                seen.add(e);
                throw new IllegalStateException("boom on " + e);
            });
            bus.subscribe("other", other::add);
            bus.publish(new Event(EventKind.EXIT_FAILED, "a"));
            bus.publish(new Event(EventKind.EXIT_SUCCESS, "b"));
            await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 2 && other.size() == 2);
            assertThat(seen).containsExactly(new Event(EventKind.EXIT_FAILED, "a"), new Event(EventKind.EXIT_SUCCESS, "b"));
        }
    }

    @Test
    void closedSubscriptionReceivesNothingMore() {
        try (EventBus bus = new EventBus()) {
            List<Event> a = new CopyOnWriteArrayList<>();
            List<Event> b = new CopyOnWriteArrayList<>();
            Subscription sa = bus.subscribe("a", a::add);
            bus.subscribe("b", b::add);
            bus.publish(new Event(EventKind.SIGNAL, "SIGHUP"));
            await().atMost(Duration.ofSeconds(5)).until(() -> a.size() == 1 && b.size() == 1);
            sa.close();
            bus.publish(new Event(EventKind.SIGNAL, "SIGUSR1"));
            bus.publish(new Event(EventKind.SIGNAL, "SIGUSR2"));
            await().atMost(Duration.ofSeconds(5)).until(() -> b.size() == 3);
            assertThat(a).hasSize(1); // b saw the later events, delivered after a was closed
        }
    }

    @Test
    void eventKindsRoundTripThroughTheirConfigNames() {
        for (EventKind k : EventKind.values()) {
            assertThat(EventKind.fromConfigName(k.configName())).contains(k);
        }
        assertThat(EventKind.EXIT_SUCCESS.configName()).isEqualTo("exitSuccess");
        assertThat(EventKind.fromConfigName("EXIT_FAILED")).contains(EventKind.EXIT_FAILED);
    }
}
