package dev.autopilot.cli.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import dev.autopilot.agent.cluster.ClusterStore;
import dev.autopilot.agent.cluster.ClusterView;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.agent.cluster.Promotion;
import dev.autopilot.agent.cluster.SwitchoverRequest;
import dev.autopilot.agent.history.HistoryEvent;
import dev.autopilot.agent.history.HistoryLog;
import dev.autopilot.cli.CommandFailure;
import dev.autopilot.coordination.CoordinationException;
import dev.autopilot.coordination.Coordinator;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * A read-only view of one cluster. A reading comes from an agent's REST API ({@code GET /cluster}: the agent reads the
 * store for it, so an operator sees what they just changed) when the CLI knows where an agent is and one answers, and
 * from the coordination store otherwise. The store client (gRPC, Netty) costs a short command about a second of
 * start-up; a call to an agent costs milliseconds, which is what makes {@code status} quick enough to run in a loop.
 */
public final class ClusterConnection implements AutoCloseable {
    private static final Duration AGENT_TIMEOUT = Duration.ofSeconds(2);

    private final ClusterTarget target;
    private final List<URI> agents;
    private final Supplier<Coordinator> opener;
    private final AgentClient client;
    private Coordinator store;

    /** Reads from the first of {@code agents} that answers, else from the store {@code opener} opens on first need. */
    ClusterConnection(ClusterTarget target, List<URI> agents, AgentClient client, Supplier<Coordinator> opener) {
        this.target = target;
        this.agents = new ArrayList<>(agents);
        this.client = client;
        this.opener = opener;
    }

    public ClusterTarget target() {
        return target;
    }

    /** One consistent-enough reading of members, roster, lock holder and flags. */
    public ClusterReading read() {
        Optional<ClusterReading> stale = Optional.empty();
        for (int i = 0; i < agents.size(); i++) {
            URI agent = agents.get(i);
            Optional<Answer> answer = fromAgent(agent);
            if (answer.isPresent() && !answer.get().stale()) {
                if (i > 0) {
                    agents.remove(i); // ask the one that answered first next time
                    agents.addFirst(agent);
                }
                return answer.get().reading();
            }
            stale = stale.or(() -> answer.map(Answer::reading));
        }
        try {
            return fromStore();
        } catch (CommandFailure f) {
            // Neither the agents nor this command reach the store: an agent's last HA reading beats no answer.
            return stale.orElseThrow(() -> f);
        }
    }

    /** What an agent answered; {@code stale}: its store did not answer, so this is its HA loop's last reading. */
    private record Answer(ClusterReading reading, boolean stale) {
    }

    /** Empty when the agent does not answer, is still starting, or is too old to send the roster: the store then decides. */
    private Optional<Answer> fromAgent(URI agent) {
        JsonNode body;
        try {
            body = client.get(agent, "/cluster", AGENT_TIMEOUT);
        } catch (CommandFailure f) {
            return Optional.empty();
        }
        if (!body.path("roster").isArray() || !body.path("members").isArray()) {
            return Optional.empty();
        }
        try {
            var members = new TreeMap<String, MemberRecord>();
            for (JsonNode m : body.path("members")) {
                MemberRecord r = RecordJson.read(m, MemberRecord.class);
                members.put(r.name(), r);
            }
            var roster = new TreeSet<String>();
            body.path("roster").forEach(n -> roster.add(n.asText()));
            var view = new ClusterView(members, text(body, "leader"), body.path("paused").asBoolean(false),
                    value(body, "switchover", SwitchoverRequest.class), value(body, "lastPromotion", Promotion.class),
                    text(body, "initializedBy"), new TreeMap<>(), Optional.empty(), roster);
            return Optional.of(new Answer(new ClusterReading(target.settings().cluster(), view, roster), body.path("stale").asBoolean(false)));
        } catch (IllegalArgumentException e) {
            return Optional.empty(); // an answer this version cannot read (another version's agent): ask the store
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> details(JsonNode details) {
        return details.isObject() ? (Map<String, Object>) RecordJson.plain(details) : Map.of();
    }

    private static Optional<String> text(JsonNode body, String field) {
        JsonNode n = body.path(field);
        return n.isTextual() ? Optional.of(n.asText()) : Optional.empty();
    }

    private static <T extends Record> Optional<T> value(JsonNode body, String field, Class<T> type) {
        JsonNode n = body.path(field);
        return n.isObject() ? Optional.of(RecordJson.read(n, type)) : Optional.empty();
    }

    /**
     * The cluster's history, oldest first: events at or after {@code sinceMillis}, of {@code member} when given. From the
     * first agent that answers {@code GET /history}, else from the store.
     */
    public List<HistoryEvent> history(long sinceMillis, Optional<String> member) {
        return history(sinceMillis, member, 0);
    }

    /**
     * The newest {@code limit} events of the history (all when 0), oldest first: {@code status} shows the last few, and
     * a cluster's history holds up to a thousand, which a quick command should not fetch and parse.
     */
    public List<HistoryEvent> history(long sinceMillis, Optional<String> member, int limit) {
        // since= is epoch milliseconds here (13 digits); left out for the whole history
        String query = "/history?" + (sinceMillis > 0 ? "since=" + sinceMillis : "")
                + member.map(m -> "&member=" + URLEncoder.encode(m, StandardCharsets.UTF_8)).orElse("")
                + (limit > 0 ? "&limit=" + limit : "");
        for (URI agent : agents) {
            try {
                JsonNode events = client.get(agent, query, AGENT_TIMEOUT).path("events");
                if (events.isArray()) {
                    List<HistoryEvent> out = new ArrayList<>();
                    for (JsonNode e : events) {
                        out.add(new HistoryEvent(e.path("atMillis").asLong(), e.path("member").asText(), e.path("kind").asText(),
                                e.path("message").asText(), details(e.path("details"))));
                    }
                    return newest(out, limit); // an agent of an earlier version ignores limit=
                }
            } catch (CommandFailure | IllegalArgumentException f) {
                // next agent, then the store
            }
        }
        if (store == null) {
            store = opener.get();
        }
        try {
            return newest(new HistoryLog(store).read(sinceMillis, member), limit);
        } catch (CoordinationException e) {
            throw CommandFailure.unreachable("coordination store " + target.endpoints() + " unreachable while reading the history of"
                    + " cluster '" + store.settings().cluster() + "' (" + e.getMessage() + ")");
        }
    }

    private static List<HistoryEvent> newest(List<HistoryEvent> events, int limit) {
        return limit > 0 && events.size() > limit ? events.subList(events.size() - limit, events.size()) : events;
    }

    private ClusterReading fromStore() {
        if (store == null) {
            store = opener.get();
        }
        try {
            var cluster = new ClusterStore(store);
            var view = cluster.read();
            return new ClusterReading(store.settings().cluster(), view, view.roster());
        } catch (CoordinationException e) {
            throw CommandFailure.unreachable("coordination store " + target.endpoints() + " unreachable while reading cluster '"
                    + store.settings().cluster() + "' (" + e.getMessage() + ")"
                    + (agents.isEmpty() ? "" : "; no agent answered either at " + agents));
        }
    }

    @Override
    public void close() {
        if (store != null) {
            store.close();
        }
    }
}
