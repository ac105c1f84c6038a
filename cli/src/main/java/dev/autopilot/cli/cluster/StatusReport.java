package dev.autopilot.cli.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.agent.cluster.Promotion;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TimeZone;

/** {@code autopilot status} output: the cluster line and a table per member, or the same as JSON. */
public final class StatusReport {
    /** For {@code --json} only, built on first use: the table is on every quick command's path (see {@link JsonTree}). */
    private static final class Writer {
        static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
    private static final String[] HEADER = {"NAME", "ADDRESS", "ROLE", "STATE", "GTID POSITION", "LAG", "LAST SNAPSHOT"};

    private StatusReport() {}

    /** The human view. */
    public static String table(ClusterReading c) {
        StringBuilder out = new StringBuilder();
        out.append("cluster ").append(c.cluster())
                .append(" | primary ").append(c.primary().map(MemberRecord::name).orElse("NONE"))
                .append(" | lock holder ").append(c.view().leader().orElse("none"))
                .append(" | failover ").append(c.view().paused() ? "PAUSED" : "automatic")
                .append(" | last failover ").append(c.view().lastPromotion().map(StatusReport::promotion).orElse("never"))
                .append('\n');
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADER);
        for (String name : c.names()) {
            Optional<MemberRecord> r = c.member(name);
            rows.add(r.map(StatusReport::row).orElse(new String[] {name, "-", "-", "down (no agent)", "-", "-", "-"}));
        }
        int[] width = new int[HEADER.length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(i == row.length - 1 ? row[i] : String.format("%-" + (width[i] + 2) + "s", row[i]));
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
        c.view().switchover().ifPresent(s -> out.append("switchover in progress: ").append(s.from()).append(" -> ")
                .append(s.to().isEmpty() ? "best replica" : s.to()).append('\n'));
        return out.toString();
    }

    private static String[] row(MemberRecord r) {
        String state = r.state().name().toLowerCase() + (r.healthy() ? "" : " (unhealthy)");
        String lag = r.lagMillis() < 0 ? "-" : r.lagMillis() < 1000 ? r.lagMillis() + " ms" : String.format("%.1f s", r.lagMillis() / 1000.0);
        return new String[] {r.name(), r.address() + ":" + r.mysqlPort(), r.role().name().toLowerCase(), state,
                r.gtidPosition().isEmpty() ? "-" : r.gtidPosition(), lag, r.lastSnapshot().isEmpty() ? "-" : r.lastSnapshot()};
    }

    private static String promotion(Promotion p) {
        return (p.previous() == null || p.previous().isEmpty() ? "" : p.previous() + " -> ") + p.member() + " at "
                + localTime(p.atMillis()) + " (" + p.reason() + ")";
    }

    /** The script view: stable field names, one object. */
    public static String json(ClusterReading c) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("cluster", c.cluster());
        out.put("primary", c.primary().map(MemberRecord::name).orElse(null));
        out.put("lockHolder", c.view().leader().orElse(null));
        out.put("paused", c.view().paused());
        out.put("lastPromotion", c.view().lastPromotion().orElse(null));
        out.put("switchover", c.view().switchover().orElse(null));
        List<Map<String, Object>> members = new ArrayList<>();
        for (String name : c.names()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            Optional<MemberRecord> r = c.member(name);
            m.put("running", r.isPresent());
            r.ifPresent(rec -> {
                m.put("address", rec.address());
                m.put("mysqlPort", rec.mysqlPort());
                m.put("apiPort", rec.apiPort());
                m.put("role", rec.role().name().toLowerCase());
                m.put("state", rec.state().name().toLowerCase());
                m.put("healthy", rec.healthy());
                m.put("gtidPosition", rec.gtidPosition());
                m.put("lagMillis", rec.lagMillis());
                m.put("replicatingFrom", rec.replicatingFrom());
                m.put("lastError", rec.lastError());
                m.put("serverVersion", rec.serverVersion());
            });
            m.put("lastSnapshot", r.map(MemberRecord::lastSnapshot).filter(t -> !t.isEmpty()).orElse(null));
            members.add(m);
        }
        out.put("members", members);
        out.put("problems", c.problems());
        try {
            return Writer.JSON.writeValueAsString(out) + "\n";
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@code millis} in the local time zone, by the offset {@link TimeZone} gives for that instant (the same tz data as
     * {@code ZoneId.systemDefault()}). Not through a {@code ZoneId}: the first region zone initializes java.time's
     * {@code ZoneRulesProvider}, whose service lookup on the class path opens and indexes the 29 MB jar.
     */
    static String localTime(long millis) {
        return TIME.withZone(ZoneOffset.ofTotalSeconds(TimeZone.getDefault().getOffset(millis) / 1000)).format(Instant.ofEpochMilli(millis));
    }
}
