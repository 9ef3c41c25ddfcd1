package io.pgbridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class IdentifiersTest {

    private static final String LONGEST = "a".repeat(63);

    @ParameterizedTest
    @ValueSource(strings = {"generation_updates", "_x", "a$b", "Sessions", "t1", "select"})
    void acceptsPlainIdentifiers(String name) {
        assertThat(Identifiers.problem(name)).isNull();
    }

    @Test
    void acceptsSixtyThreeBytesAndRejectsSixtyFour() {
        assertThat(Identifiers.problem(LONGEST)).isNull();
        assertThat(Identifiers.problem(LONGEST + "a")).contains("63 bytes");
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"a\"b", "1abc", "bad name;", "a-b", "a.b", "$a", "a;DROP TABLE x",
        "caf\u00e9", "a\u0000b", " a"})
    void rejectsAnythingElse(String name) {
        assertThat(Identifiers.problem(name)).isNotNull();
        assertThatThrownBy(() -> Identifiers.quote(name))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void quoteWrapsInDoubleQuotes() {
        assertThat(Identifiers.quote("generation_updates")).isEqualTo("\"generation_updates\"");
        assertThat(Identifiers.quote("Select")).isEqualTo("\"Select\"");
    }

    @Test
    void qualifiedQuotesBothParts() {
        assertThat(Identifiers.qualified("public", "generation_sessions"))
                .isEqualTo("\"public\".\"generation_sessions\"");
        assertThatThrownBy(() -> Identifiers.qualified("public", "x\"; drop"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void literalSingleQuotesOnlyValidIdentifiers() {
        assertThat(Identifiers.literal("generation_updates")).isEqualTo("'generation_updates'");
        assertThatThrownBy(() -> Identifiers.literal("x'; select 1; --"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void validatorNamesTheKeyAndTheRule() {
        assertThatThrownBy(() -> Identifiers.validator().ensureValid("listen.channel", "1abc"))
                .hasMessageContaining("listen.channel").hasMessageContaining("SQL identifier");
    }
}
