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
    void escapesNumbersAndWhitespaceAsJackson() throws Exception {
        for (String json : new String[] {
                " {\n\t\"e\" : \"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\ud83d\\ude00 \u00e9\" ,\"k\":[ ] } \r\n",
                "[0,-0,-1,2147483647,2147483648,-2147483648,-2147483649,9223372036854775807,-9223372036854775808,"
                        + "9223372036854775808,-123456789012345678,999999999999999999,1000000000000000000]",
                "[0.5,-1.25e3,1E2,2e-2,-0.0,6.02E+23]",
                "\"top-level string\"", "42", "true", "null", "[[[[{}]]]]"}) {
            assertThat(JsonTree.parse(json)).as(json).isEqualTo(new ObjectMapper().readTree(json));
        }
    }

    @Test
    void malformedOrTrailingInputIsAnError() {
        assertThatThrownBy(() -> JsonTree.parse("{\"a\":")).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> JsonTree.parse("{} {}")).isInstanceOf(IOException.class).hasMessageContaining("trailing");
        assertThatThrownBy(() -> JsonTree.parse("")).isInstanceOf(IOException.class);
        for (String bad : new String[] {"  ", "01", "-", "1.", "1e", ".5", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "{a:1}", "tru",
                "nul", "[1 2]", "\"open", "\"bad \\x escape\"", "\"\\u12\"", "\"tab\tinside\"", "'single'", "NaN", "[1]]"}) {
            assertThatThrownBy(() -> JsonTree.parse(bad)).as(bad).isInstanceOf(IOException.class);
        }
        assertThatThrownBy(() -> JsonTree.parse("[".repeat(2000) + "]".repeat(2000))).isInstanceOf(IOException.class)
                .hasMessageContaining("nesting");
    }
}
