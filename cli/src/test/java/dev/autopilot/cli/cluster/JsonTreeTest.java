package dev.autopilot.cli.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** The quick commands' parser builds the same tree as Jackson's {@code ObjectMapper.readTree}. */
class JsonTreeTest {
    @Test
    void buildsTheTreeJacksonBuilds() throws Exception {
        String json = "{\"s\":\"x\\u00e9\",\"i\":7,\"l\":10000000000,\"big\":123456789012345678901234567890,\"d\":1.5,"
                + "\"t\":true,\"f\":false,\"n\":null,\"a\":[1,{\"b\":[]},\"c\"],\"o\":{}}";
        assertThat(JsonTree.parse(json)).isEqualTo(new ObjectMapper().readTree(json));
    }

    @Test
    void malformedOrTrailingInputIsAnError() {
        assertThatThrownBy(() -> JsonTree.parse("{\"a\":")).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> JsonTree.parse("{} {}")).isInstanceOf(IOException.class).hasMessageContaining("trailing");
        assertThatThrownBy(() -> JsonTree.parse("")).isInstanceOf(IOException.class);
    }
}
