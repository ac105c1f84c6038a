package dev.autopilot.cli.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.autopilot.agent.cluster.MemberRecord;
import dev.autopilot.agent.cluster.Promotion;
import dev.autopilot.agent.cluster.SwitchoverRequest;
import dev.autopilot.cli.local.LocalState;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The quick commands read records by their components instead of through Jackson's data binding; both must read the
 * same record out of the same JSON, for every component the record has today or gains later (the samples set each
 * component to a value other than its default, by reflection, so a new component is covered without editing this test).
 */
class RecordJsonTest {
    private static final ObjectMapper JACKSON = new ObjectMapper();

    @Test
    void readsEveryRecordTheQuickCommandsReadAsJacksonDoes() throws Exception {
        for (Class<? extends Record> type : List.of(MemberRecord.class, SwitchoverRequest.class, Promotion.class, LocalState.class)) {
            Record sample = sample(type, 1);
            JsonNode json = JACKSON.valueToTree(sample);
            assertThat(RecordJson.read(json, type)).as(type.getSimpleName()).isEqualTo(JACKSON.treeToValue(json, type)).isEqualTo(sample);
        }
    }

    @Test
    void missingFieldsAreDefaultsAndUnknownOnesAreIgnored() throws Exception {
        JsonNode json = JACKSON.readTree("{\"from\":\"db1\",\"requestedAtMillis\":5,\"addedByALaterVersion\":{\"x\":1}}");
        // A newer agent's field: skipped, where Jackson refuses it for records not marked to ignore unknown properties.
        assertThat(RecordJson.read(json, SwitchoverRequest.class)).isEqualTo(new SwitchoverRequest("db1", "", 5, "", false));
        JsonNode member = JACKSON.readTree("{\"name\":\"db2\",\"apiPort\":8008,\"addedByALaterVersion\":[1]}");
        assertThat(RecordJson.read(member, MemberRecord.class)).isEqualTo(JACKSON.treeToValue(member, MemberRecord.class));
    }

    @Test
    void anUnknownEnumValueIsRefusedNamingTheField() throws Exception {
        JsonNode json = JACKSON.readTree("{\"name\":\"db1\",\"role\":\"OBSERVER\"}");
        assertThatThrownBy(() -> RecordJson.read(json, MemberRecord.class)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("MemberRecord.role").hasMessageContaining("OBSERVER");
    }

    @Test
    void historyDetailsBecomePlainValues() throws Exception {
        JsonNode json = JACKSON.readTree("{\"bytes\":123,\"rate\":1.5,\"source\":\"db2\",\"done\":true,\"parts\":[1,\"a\"],\"none\":null}");
        assertThat(RecordJson.plain(json)).isEqualTo(new java.util.LinkedHashMap<>(Map.of("bytes", 123L, "rate", 1.5, "source", "db2",
                "done", true, "parts", List.of(1L, "a"))) {{ put("none", null); }});
    }

    /** A record of {@code type} whose every component differs from its default ({@code seed} varies the values). */
    private static Record sample(Class<? extends Record> type, int seed) throws Exception {
        RecordComponent[] components = type.getRecordComponents();
        Class<?>[] types = new Class<?>[components.length];
        Object[] values = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
            values[i] = sampleValue(components[i].getGenericType(), seed + i);
        }
        return type.getDeclaredConstructor(types).newInstance(values);
    }

    private static Object sampleValue(Type generic, int seed) throws Exception {
        Class<?> raw = generic instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) generic;
        if (raw == String.class) {
            return "v" + seed;
        } else if (raw == int.class) {
            return seed;
        } else if (raw == long.class) {
            return 10_000_000_000L + seed;
        } else if (raw == boolean.class) {
            return true;
        } else if (raw.isEnum()) {
            Object[] constants = raw.getEnumConstants();
            return constants[constants.length - 1];
        } else if (raw.isRecord()) {
            return sample(raw.asSubclass(Record.class), seed);
        } else if (raw == List.class && generic instanceof ParameterizedType p) {
            return List.of(sampleValue(p.getActualTypeArguments()[0], seed), sampleValue(p.getActualTypeArguments()[0], seed + 1));
        }
        throw new AssertionError("no sample for " + generic + ": teach this test and RecordJson the new type");
    }
}
