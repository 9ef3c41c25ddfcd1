package io.pgbridge.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgbridge.config.BridgeConfig.ValueFormat;
import io.pgbridge.fetch.SessionRow;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RecordBuilderTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final UUID SESSION = UUID.fromString("8f14e45f-ceea-467a-9575-7e7a3d1b2c4d");
    private static final UUID PROJECT = UUID.fromString("11111111-2222-3333-4444-555555555555");
    private static final Instant UPDATED = Instant.parse("2024-10-27T03:33:20.123456Z");
    private static final String STATE =
            "{\"todos\": [{\"id\": 1, \"done\": false}], \"note\": \"a \\\"quoted\\\" word\", \"n\": 1.50}";
    private static final String SOURCES = "generation_todos:INSERT,generation_sessions:UPDATE";

    private final RecordBuilder envelope = new RecordBuilder(ValueFormat.ENVELOPE, false);
    private final RecordBuilder raw = new RecordBuilder(ValueFormat.RAW, false);
    private final RecordBuilder validating = new RecordBuilder(ValueFormat.ENVELOPE, true);

    private static SessionRow row(String state) {
        return new SessionRow(SESSION, PROJECT, 42, UPDATED,
                state == null ? null : state.getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, String> headers(StateRecord r) {
        Map<String, String> out = new LinkedHashMap<>();
        for (StateRecord.Header h : r.headers()) {
            assertThat(out).as("header %s appears once", h.key()).doesNotContainKey(h.key());
            out.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
        }
        return out;
    }

    @Test
    void envelopeHoldsMetadataAndStateEmbeddedAsJson() throws Exception {
        StateRecord r = envelope.build(row(STATE), SOURCES);
        JsonNode value = JSON.readTree(r.value());
        assertThat(value.isObject()).isTrue();
        assertThat(value.fieldNames()).toIterable()
                .containsExactly("sessionId", "projectId", "version", "updatedAt", "state");
        assertThat(value.get("sessionId").asText()).isEqualTo(SESSION.toString());
        assertThat(value.get("projectId").asText()).isEqualTo(PROJECT.toString());
        assertThat(value.get("version").isIntegralNumber()).isTrue();
        assertThat(value.get("version").asLong()).isEqualTo(42);
        assertThat(Instant.parse(value.get("updatedAt").asText())).isEqualTo(UPDATED);
        assertThat(value.get("state").isObject()).as("embedded, not a string").isTrue();
        assertThat(value.get("state")).isEqualTo(JSON.readTree(STATE));
    }

    @Test
    void envelopeEmbedsStateBytesUnchanged() throws Exception {
        StateRecord r = envelope.build(row(STATE), SOURCES);
        String value = new String(r.value(), StandardCharsets.UTF_8);
        assertThat(value).endsWith(",\"state\":" + STATE + "}");
    }

    @Test
    void envelopeOfNullStateHasNullState() throws Exception {
        JsonNode value = JSON.readTree(envelope.build(row(null), SOURCES).value());
        assertThat(value.has("state")).isTrue();
        assertThat(value.get("state").isNull()).isTrue();
    }

    @Test
    void envelopeOfNullProjectAndUpdatedAtHasJsonNulls() throws Exception {
        SessionRow row = new SessionRow(SESSION, null, 1, null, "[]".getBytes(StandardCharsets.UTF_8));
        StateRecord r = envelope.build(row, SOURCES);
        JsonNode value = JSON.readTree(r.value());
        assertThat(value.get("projectId").isNull()).isTrue();
        assertThat(value.get("updatedAt").isNull()).isTrue();
        assertThat(value.get("state").isArray()).isTrue();
        assertThat(headers(r)).containsEntry(RecordBuilder.HEADER_PROJECT_ID, null)
                .containsEntry(RecordBuilder.HEADER_UPDATED_AT, null);
    }

    @Test
    void envelopeEmbedsScalarStates() throws Exception {
        assertThat(JSON.readTree(envelope.build(row("\"text\""), SOURCES).value()).get("state")
                .asText()).isEqualTo("text");
        assertThat(JSON.readTree(envelope.build(row("7"), SOURCES).value()).get("state").asInt())
                .isEqualTo(7);
    }

    @Test
    void rawFormatSendsStateBytesUnchanged() throws Exception {
        byte[] state = STATE.getBytes(StandardCharsets.UTF_8);
        StateRecord r = raw.build(new SessionRow(SESSION, PROJECT, 42, UPDATED, state), SOURCES);
        assertThat(r.value()).isEqualTo(state);
    }

    @Test
    void rawFormatOfNullStateIsJsonNullNotATombstone() throws Exception {
        StateRecord r = raw.build(row(null), SOURCES);
        assertThat(r.isTombstone()).isFalse();
        assertThat(new String(r.value(), StandardCharsets.US_ASCII)).isEqualTo("null");
    }

    @Test
    void headersCarryProjectVersionUpdatedAtAndSourcesInBothFormats() throws Exception {
        for (RecordBuilder b : new RecordBuilder[] {envelope, raw}) {
            assertThat(headers(b.build(row(STATE), SOURCES))).containsExactly(
                    Map.entry(RecordBuilder.HEADER_PROJECT_ID, PROJECT.toString()),
                    Map.entry(RecordBuilder.HEADER_VERSION, "42"),
                    Map.entry(RecordBuilder.HEADER_UPDATED_AT, "2024-10-27T03:33:20.123456Z"),
                    Map.entry(RecordBuilder.HEADER_SOURCES, SOURCES));
        }
    }

    @Test
    void headerNamesUseThePgbridgePrefix() throws Exception {
        assertThat(RecordBuilder.HEADER_PROJECT_ID).isEqualTo("pgbridge.project_id");
        assertThat(RecordBuilder.HEADER_VERSION).isEqualTo("pgbridge.version");
        assertThat(RecordBuilder.HEADER_UPDATED_AT).isEqualTo("pgbridge.updated_at");
        assertThat(RecordBuilder.HEADER_SOURCES).isEqualTo("pgbridge.sources");
        assertThat(RecordBuilder.HEADER_DELETED).isEqualTo("pgbridge.deleted");
    }

    @Test
    void keyIsTheSessionIdAsText() throws Exception {
        StateRecord r = envelope.build(row(STATE), SOURCES);
        assertThat(new String(r.key(), StandardCharsets.UTF_8))
                .isEqualTo("8f14e45f-ceea-467a-9575-7e7a3d1b2c4d");
        assertThat(RecordBuilder.key(SESSION)).isEqualTo(r.key());
    }

    @Test
    void tombstoneHasNullValueDeletedHeaderAndSessionKey() throws Exception {
        StateRecord t = envelope.tombstone(SESSION, "generation_sessions:DELETE");
        assertThat(t.isTombstone()).isTrue();
        assertThat(t.value()).isNull();
        assertThat(t.key()).isEqualTo(RecordBuilder.key(SESSION));
        assertThat(headers(t)).containsEntry("pgbridge.deleted", "true")
                .containsEntry("pgbridge.sources", "generation_sessions:DELETE");
        assertThat(raw.tombstone(SESSION, "catchup").value()).isNull();
    }

    @Test
    void unicodeStatePassesThroughByteExact() throws Exception {
        String state = "{\"msg\":\"Grüße, 東京 🚀 \\u00e9\",\"e\":\"é\"}";
        byte[] bytes = state.getBytes(StandardCharsets.UTF_8);
        SessionRow row = new SessionRow(SESSION, PROJECT, 3, UPDATED, bytes);
        assertThat(raw.build(row, SOURCES).value()).isEqualTo(bytes);
        byte[] value = validating.build(row, SOURCES).value();
        String prefix = "{\"sessionId\":\"";
        String marker = ",\"state\":";
        String text = new String(value, StandardCharsets.UTF_8);
        byte[] embedded = java.util.Arrays.copyOfRange(value,
                text.substring(0, text.indexOf(marker) + marker.length())
                        .getBytes(StandardCharsets.UTF_8).length, value.length - 1);
        assertThat(text).startsWith(prefix);
        assertThat(embedded).isEqualTo(bytes);
        assertThat(JSON.readTree(value).get("state").get("msg").asText()).isEqualTo("Grüße, 東京 🚀 é");
    }

    @Test
    void validationAcceptsEveryKindOfJsonValue() throws Exception {
        for (String state : new String[] {"{}", "[]", "null", "true", "1", "-2.5e3", "\"s\"",
            " {\"a\":[1,{\"b\":null}]} \n"}) {
            assertThat(validating.build(row(state), SOURCES).value()).as(state).isNotNull();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"{", "{\"a\":}", "not json", "{'a':1}", "[1,2", "{\"a\":NaN}", "",
        "   ", "{\"a\":1} trailing", "{\"a\":1} {\"b\":2}", "1 2", "{}}"})
    void validationRejectsInvalidStatesAndTrailingContent(String state) throws Exception {
        assertThatThrownBy(() -> validating.build(row(state), SOURCES))
                .isInstanceOf(InvalidStateException.class)
                .hasMessageContaining(SESSION.toString());
    }

    @Test
    void validationRejectsInvalidUtf8() {
        byte[] bad = {'"', (byte) 0xC3, (byte) 0x28, '"'};
        SessionRow row = new SessionRow(SESSION, PROJECT, 1, UPDATED, bad);
        assertThatThrownBy(() -> validating.build(row, SOURCES))
                .isInstanceOf(InvalidStateException.class);
    }

    @Test
    void validationAppliesToRawFormatToo() throws Exception {
        RecordBuilder rawValidating = new RecordBuilder(ValueFormat.RAW, true);
        assertThatThrownBy(() -> rawValidating.build(row("{"), SOURCES))
                .isInstanceOf(InvalidStateException.class);
    }

    @Test
    void withoutValidationInvalidStateIsNotInspected() throws Exception {
        assertThat(raw.build(row("{"), SOURCES).value())
                .isEqualTo("{".getBytes(StandardCharsets.UTF_8));
    }
}
